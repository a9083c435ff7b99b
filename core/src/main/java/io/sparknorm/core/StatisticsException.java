package io.sparknorm.core;

/**
 * Fitted batch statistics that cannot be used: at most one value per channel (PyTorch's rule in
 * training mode), a mean or variance beyond the range of double, or a key without statistics.
 */
public final class StatisticsException extends NormalizationException {
  private static final long serialVersionUID = 1L;

  public StatisticsException(Rule rule, String value, int index, String reason) {
    super(rule, value, index, reason);
  }

  private StatisticsException(StatisticsException original, String message) {
    super(original, message);
  }

  /** PyTorch's rule of more than one value per channel, broken by {@code count} values (samples x spatial size). */
  public static StatisticsException tooFewValues(long count, String reason) {
    return new StatisticsException(Rule.TOO_FEW_VALUES, Long.toString(count), -1, reason);
  }

  @Override
  public StatisticsException worded(String message) {
    return new StatisticsException(this, message);
  }
}
