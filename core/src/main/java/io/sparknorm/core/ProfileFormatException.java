package io.sparknorm.core;

/** A profile file that cannot be read: not JSON, another format, a newer version, or a bad field (named). */
public final class ProfileFormatException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** With the message naming the problem ("profile: ..."). */
  public ProfileFormatException(String message) {
    super(message);
  }

  /** With the message naming the problem and the parser's or decoder's exception. */
  public ProfileFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
