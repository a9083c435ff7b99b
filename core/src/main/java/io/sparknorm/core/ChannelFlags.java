package io.sparknorm.core;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Warnings about one channel for the statistics report, from its {@link ChannelSketches} and the
 * normalization's eps. Every threshold is a constant below, with why it is what it is.
 *
 * <ul>
 *   <li>{@link Flag#MULTIMODAL}: the channel's distribution has at least two clear peaks (see
 *       {@link Peaks}); Sarle's bimodality coefficient goes with it in the text.
 *   <li>{@link Flag#CONSTANT}: the variance is below eps (or 0).
 *   <li>{@link Flag#HEAVY_OUTLIERS}: the max lies more than {@value #OUTLIER_RANGES} times the range
 *       q99% - q1% above the 99% quantile, or the min as far below the 1% quantile.
 *   <li>{@link Flag#MANY_ZEROS}: more than half of the finite values are exactly zero.
 *   <li>{@link Flag#NON_FINITE}: the channel had NaN or infinite values (rows kept with them).
 * </ul>
 */
public final class ChannelFlags {

  /** The warnings. */
  public enum Flag { MULTIMODAL, CONSTANT, HEAVY_OUTLIERS, MANY_ZEROS, NON_FINITE }

  /**
   * Sarle's bimodality coefficient's threshold, 5/9: its value for a uniform distribution; every
   * symmetric unimodal distribution has kurtosis at least the uniform's 9/5, so b at most 5/9. Shown
   * in the report and in the flag's text, but b alone does not raise the flag: a uniform channel
   * has b = 5/9 and crosses it by sampling noise about every other time, an exponential one has
   * exactly 5/9, and a normal bulk with a few far outliers (any two-point distribution) nearly 1.
   */
  public static final double BIMODALITY_THRESHOLD = 5.0 / 9.0;
  /**
   * The outlier margin, in units of q99% - q1% (the range of the middle 98%), beyond q99% (q1%).
   * The 1% and 99% quantiles, not 0.1% and 99.9%: a few outliers are more than 0.1% of a small
   * channel (5 in 2,000 are 0.25%, and the 99.9% quantile is then one of them), and KLL estimates
   * them better (its rank error, 1.65% for k = 200 at 99% confidence, is absolute). Measured from
   * q99% in these ranges, a Gaussian's max stays under 0.9 even among 1e9 values (6.1 against 2.3
   * standard deviations, range 4.7), an exponential's reaches 2 at 1e6 and 3.5 at 1e9 values; 4
   * leaves those alone and fires for values far outside the bulk (sentinels such as 1e6, glitches,
   * a log-normal's tail from about 1e5 values), which dominate the variance. A range of 0 (98% of
   * the values equal) makes any value beyond the quantile an outlier.
   */
  public static final double OUTLIER_RANGES = 4;
  /** Zeros above this fraction: the median is 0, and mean and variance mostly measure how often the channel is not. */
  public static final double MANY_ZEROS_FRACTION = 0.5;

  private final int channel;
  private final Map<Flag, String> explanations;
  private final double bimodality;
  private final int peaks;

  private ChannelFlags(int channel, Map<Flag, String> explanations, double bimodality, int peaks) {
    this.channel = channel;
    this.explanations = Collections.unmodifiableMap(explanations);
    this.bimodality = bimodality;
    this.peaks = peaks;
  }

  /** The flags of channel c of a state, for a normalization with this eps. */
  public static ChannelFlags of(ChannelSketches sketches, int c, double eps) {
    ChannelSummary s = sketches.summary(c);
    Map<Flag, String> flags = new EnumMap<>(Flag.class);
    long n = s.finite();
    double b = bimodalityCoefficient(n, s.skewness(), s.kurtosis());
    int peaks = n == 0 ? 0 : Peaks.count(sketches, c, s);
    if (peaks >= 2) {
      flags.put(Flag.MULTIMODAL, String.format(Locale.ROOT, "multi-modal: %d clear peaks in the histogram (Sarle's "
          + "bimodality coefficient %.3f, %s 5/9); one mean and variance describe neither mode", peaks, b,
          b > BIMODALITY_THRESHOLD ? "above" : "not above"));
    }
    if (n > 0 && (s.variance() < eps || s.variance() == 0)) {
      flags.put(Flag.CONSTANT, String.format(Locale.ROOT, "constant or near-constant: variance %.3g below eps %.3g; "
          + "the normalized output is about the bias (its spread is at most %.2f of the weight)", s.variance(), eps,
          Math.sqrt(s.variance() / (s.variance() + eps))));
    }
    double range = s.q99() - s.q01();
    double above = s.max() - s.q99();
    double below = s.q01() - s.min();
    if (above > OUTLIER_RANGES * range || below > OUTLIER_RANGES * range) {
      boolean high = above >= below;
      String margin = range > 0
          ? String.format(Locale.ROOT, "%.3g times that", (high ? above : below) / range) : "far";
      flags.put(Flag.HEAVY_OUTLIERS, String.format(Locale.ROOT, "heavy outliers: the middle 98%% of the values spans "
          + "%.6g, and the %s %.6g lies %s beyond the %s quantile %.6g; such values dominate the variance and squeeze "
          + "the bulk of the normalized values together", range, high ? "max" : "min", high ? s.max() : s.min(), margin,
          high ? "99%" : "1%", high ? s.q99() : s.q01()));
    }
    if (n > 0 && s.zeroFraction() > MANY_ZEROS_FRACTION) {
      flags.put(Flag.MANY_ZEROS, String.format(Locale.ROOT, "many zeros: %.1f%% of the values are exactly 0; the "
          + "statistics mostly measure how often the channel is not zero, and every zero maps to one output value",
          100 * s.zeroFraction()));
    }
    if (s.nonFinite() > 0) {
      flags.put(Flag.NON_FINITE, String.format(Locale.ROOT, "non-finite values: %d NaN and %d infinite, left out of "
          + "every statistic", s.nans(), s.infinities()));
    }
    return new ChannelFlags(c, flags, b, peaks);
  }

  public int channel() {
    return channel;
  }

  /** The flags raised. */
  public Set<Flag> flags() {
    return explanations.keySet();
  }

  public boolean has(Flag flag) {
    return explanations.containsKey(flag);
  }

  /** Per flag raised, one sentence for the report with the numbers behind it. */
  public Map<Flag, String> explanations() {
    return explanations;
  }

  /** Sarle's bimodality coefficient of the channel (NaN below 4 values or for a constant channel). */
  public double bimodalityCoefficient() {
    return bimodality;
  }

  /** The clear peaks found (see {@link Peaks#clearPeaks}). */
  public int peaks() {
    return peaks;
  }

  /**
   * Sarle's bimodality coefficient b = (G1^2 + 1) / (G2 + 3 (n-1)^2 / ((n-2)(n-3))) from the
   * moment ratios g1 (skewness) and b2 (non-excess kurtosis), with G1 and G2 their small-sample
   * corrected forms (as SAS, where b comes from): G1 = g1 sqrt(n (n-1)) / (n-2),
   * G2 = (n-1) ((n+1) (b2 - 3) + 6) / ((n-2)(n-3)). NaN below 4 values.
   */
  public static double bimodalityCoefficient(long n, double skewness, double kurtosis) {
    if (n < 4) {
      return Double.NaN;
    }
    double m = n;
    double g1 = correctedSkewness(n, skewness);
    double g2 = (m - 1) * ((m + 1) * (kurtosis - 3) + 6) / ((m - 2) * (m - 3));
    return (g1 * g1 + 1) / (g2 + 3 * (m - 1) * (m - 1) / ((m - 2) * (m - 3)));
  }

  private static double correctedSkewness(long n, double g1) {
    return n < 3 ? Double.NaN : g1 * Math.sqrt((double) n * (n - 1)) / (n - 2);
  }

  @Override
  public String toString() {
    return "channel " + channel + ": " + explanations.keySet();
  }
}
