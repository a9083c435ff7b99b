package io.sparknorm.core;

/**
 * Arguments that break one of PyTorch's rules before any data is read: the shape, groups, eps,
 * weight and bias, or given statistics. {@link #argument()} says which argument.
 */
public final class ArgumentException extends NormalizationException {
  private static final long serialVersionUID = 1L;

  /** The argument a rule is about. */
  public enum Argument { SHAPE, GROUPS, EPS, WEIGHT, BIAS, MEAN, VAR, STATISTICS }

  private final Argument argument;

  public ArgumentException(Rule rule, Argument argument, String value, int index, String reason) {
    super(rule, value, index, reason);
    this.argument = argument;
  }

  private ArgumentException(ArgumentException original, String message) {
    super(original, message);
    this.argument = original.argument;
  }

  /** The argument the rule is about. */
  public Argument argument() {
    return argument;
  }

  @Override
  public ArgumentException worded(String message) {
    return new ArgumentException(this, message);
  }
}
