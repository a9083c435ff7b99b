package io.sparknorm.core;

/**
 * One sample that breaks a rule: a null tensor or element, a length other than the shape's, a
 * value that is NaN or infinite, text that is no array of numbers, or normalized values that are
 * not finite ({@link NonFiniteResultException}). Thrown and checked per row, so it records no
 * stack trace: where the row is matters, not where the code was.
 */
public class TensorValueException extends NormalizationException {
  private static final long serialVersionUID = 1L;

  public TensorValueException(Rule rule, String value, int index, String reason) {
    super(rule, value, index, reason);
  }

  private TensorValueException(TensorValueException original, String message) {
    super(original, message);
  }

  @Override
  public TensorValueException worded(String message) {
    return new TensorValueException(this, message);
  }

  @Override
  public final synchronized Throwable fillInStackTrace() {
    return this;
  }
}
