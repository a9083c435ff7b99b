package io.sparknorm.core;

/**
 * A rule of normalization broken, with what a caller needs to act on it as fields: the {@link
 * Rule}, the value that broke it and where (the element, channel or dimension), and the rule in the
 * core's words ({@link #reason()}). Each layer words it for its user ({@link #worded}) and never
 * reads another layer's text: the SQL functions name the function and the argument, the DataFrame
 * API the column and the row, the job its options. Three families: {@link ArgumentException} (the
 * arguments break one of PyTorch's rules), {@link TensorValueException} (one sample is invalid) and
 * {@link StatisticsException} (fitted statistics that cannot be used).
 */
public abstract class NormalizationException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** Every rule, named once: what a caller tests, like Spark's error classes. */
  public enum Rule {
    /** A shape that is empty, has a dimension that is not a positive whole number, or is too large. */
    SHAPE,
    /** eps that is not finite or below 0. */
    EPS,
    /** groups that is not a positive divisor of the channel count. */
    GROUPS,
    /** Instance norm of one spatial element per channel. */
    SPATIAL_SIZE,
    /** A weight or bias value that is not finite, or of the wrong length. */
    AFFINE,
    /** Given statistics that do not fit: lengths, values, channels, keys, or a method without statistics. */
    STATISTICS,
    /** Batch norm of a channel of variance 0 with eps 0. */
    ZERO_VARIANCE,
    /** A null tensor. */
    NULL_TENSOR,
    /** A null element in a tensor. */
    NULL_VALUE,
    /** Text that is not a JSON array of numbers. */
    NOT_AN_ARRAY,
    /** A tensor whose length is not the shape's. */
    LENGTH,
    /** An empty tensor. */
    EMPTY,
    /** A value that is NaN or infinite. */
    NOT_FINITE,
    /** A sample whose normalized values are not finite: a constant segment with eps 0. */
    NOT_FINITE_RESULT,
    /** Batch norm statistics of at most one value per channel (PyTorch's rule in training mode). */
    TOO_FEW_VALUES,
    /** A mean or variance beyond the range of double. */
    OVERFLOW,
    /** A row whose key has no statistics. */
    UNSEEN_KEY
  }

  private final Rule rule;
  private final String value;
  private final int index;
  private final String reason;

  /**
   * @param value the value that broke the rule, as text, or null
   * @param index the element, channel or dimension the rule is about, or -1
   * @param reason the rule in the core's words, which is also the message
   */
  protected NormalizationException(Rule rule, String value, int index, String reason) {
    super(reason);
    this.rule = rule;
    this.value = value;
    this.index = index;
    this.reason = reason;
  }

  /** The same rule in a caller's words: the fields of {@code original}, which becomes the cause. */
  protected NormalizationException(NormalizationException original, String message) {
    super(message, original);
    this.rule = original.rule;
    this.value = original.value;
    this.index = original.index;
    this.reason = original.reason;
  }

  /** The rule broken. */
  public Rule rule() {
    return rule;
  }

  /** The value that broke the rule, as text (a tensor element, a length, groups, eps), or null. */
  public String value() {
    return value;
  }

  /** The element of the tensor, the channel or the dimension the rule is about; -1 when none. */
  public int index() {
    return index;
  }

  /** The rule in the core's words, without what callers added (a function, a column, a row, a file). */
  public String reason() {
    return reason;
  }

  /** This rule in a caller's words for its user, of the same type and fields, with this exception as the cause. */
  public abstract NormalizationException worded(String message);
}
