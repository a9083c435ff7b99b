package io.sparknorm.core;

/** What {@link CovariateShift} says of a channel; each flag's thresholds and reasons are in {@link ShiftThresholds}. */
public enum ShiftFlag {
  /** The distribution moved: mean, spread or shape (PSI, Kolmogorov-Smirnov) beyond the thresholds. */
  SHIFTED,
  /** A mode of the reference holds much less of the values now. */
  MODE_LOST,
  /** A mode now where the reference had little mass. */
  MODE_NEW,
  /** A share of the values lies outside the reference's [min, max]. */
  OUT_OF_RANGE;

  /** Whether {@code --fail-on-shift} stops on it (SHIFTED and MODE_LOST). */
  public boolean failsGate() {
    return this == SHIFTED || this == MODE_LOST;
  }
}
