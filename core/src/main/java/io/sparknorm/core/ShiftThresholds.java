package io.sparknorm.core;

/**
 * The thresholds of the shift flags, each with why it is what it is. A figure flags a channel only
 * when it is both <em>material</em> (past the bound below, which says how large a change matters
 * whatever the count) and <em>significant</em> (beyond what chance and the sketches' error make of
 * two samples of one distribution, at about five standard errors): with few values, chance alone
 * moves every figure; with many, changes too small to matter become certain.
 */
public final class ShiftThresholds {
  private ShiftThresholds() {}

  /**
   * A mean moved by a fifth of the reference's standard deviation: Cohen's "small" effect size
   * (d = 0.2), and what batch norm's output then has as its mean instead of 0.
   */
  public static final double MEAN_SHIFT_SD = 0.2;

  /**
   * A variance ratio above this or below its inverse: the normalized output's standard deviation
   * more than 7% (sqrt 1.15) off 1. A gain or contrast changed by 10% (ratio 1.21) must be caught;
   * the variance of 10,000 values of a normal channel is within 3% (two standard errors) of its
   * population's, far inside.
   */
  public static final double VAR_RATIO = 1.15;

  /**
   * The population stability index's usual "major" bound (0.1 is the usual "moderate" one, which
   * the explanation mentions but does not flag); a normal channel's PSI reaches it at a mean shift
   * of about half a standard deviation.
   */
  public static final double PSI_MAJOR = 0.25;

  /** The usual "moderate" PSI bound, named in explanations only. */
  public static final double PSI_MODERATE = 0.1;

  /**
   * The Kolmogorov-Smirnov distance at which two distributions differ materially: one tenth of the
   * values on the other side of some point. The sketches' error ({@link ChannelShift#ksError()}) is
   * added to it, so the sketches' noise alone cannot reach it.
   */
  public static final double KS = 0.1;

  /**
   * The share of values outside the reference's [min, max] that flags OUT_OF_RANGE: 1%, the share
   * of a normal sample beyond 2.6 standard deviations; a reference of a few thousand values already
   * spans wider than that, so new values beyond its extremes are rare unless the data moved. The
   * sketch's rank error of the data now is added to it.
   */
  public static final double OUT_OF_RANGE = 0.01;

  /**
   * A mode is lost when the data now holds less than this fraction of the reference's mass in its
   * range (and new when the reference held less than this fraction of its mass now): three
   * quarters of a mode gone is a mode that no longer describes the data, while the mode masses of
   * two samples of one distribution differ by far less.
   */
  public static final double MODE_KEPT = 0.25;

  /**
   * Significance: a difference counts when it is at least this many of its standard errors (about
   * 6e-7 two-sided for a normal statistic), so that 10,000 channels compared on several figures
   * raise a false flag less than one time in a hundred.
   */
  public static final double Z = 5;

  /**
   * Significance of counts with no standard error (values outside the reference's range, values
   * apart from a constant channel's one value) and of the KS and PSI statistics: the chance, were
   * both samples from one distribution, of a difference that large.
   */
  public static final double ALPHA = 1e-6;

  /**
   * PSI's bins hold at least this fraction in the formula (an empty bin would make it infinite):
   * 1e-4, the usual floor; a bin emptied completely then adds about its expected share times 7.
   */
  public static final double MASS_FLOOR = 1e-4;

  /**
   * A reference of all-equal values has standard deviation 0; the figures divide by this fraction
   * of its magnitude instead (the smallest normal double for 0), so they stay finite and say
   * "enormous" for any change.
   */
  public static final double STD_FLOOR_RELATIVE = 1e-12;
}
