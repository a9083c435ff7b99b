package io.sparknorm.spark;

import java.util.Locale;

/**
 * What to do with an invalid row: a null tensor, a tensor whose length differs from the shape, or
 * a null, NaN or infinite value. Skipped and kept rows never feed batch statistics (Spark ML's
 * convention).
 */
public enum HandleInvalid {
  /** Stop with an error naming the column, the row and the rule broken. */
  ERROR,
  /** Drop the row from the output; the count of dropped rows is reported. */
  SKIP,
  /** Keep the row with a null result. */
  KEEP;

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static HandleInvalid parse(String text) {
    if (text != null) {
      for (HandleInvalid h : values()) {
        if (h.id().equalsIgnoreCase(text.strip())) {
          return h;
        }
      }
    }
    throw new IllegalArgumentException("handle-invalid '" + text + "' is not one of error, skip, keep");
  }
}
