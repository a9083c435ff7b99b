package io.sparknorm.core;

import io.sparknorm.core.ArgumentException.Argument;
import io.sparknorm.core.NormalizationException.Rule;
import java.io.Serializable;

/**
 * Per-channel batch statistics: the value count per channel, the mean, the biased variance (what
 * batch norm normalizes with) and the unbiased variance (what PyTorch's running_var tracks).
 * The unbiased variance is NaN where it is unknown (statistics read from a file without it). The
 * standard deviation is the square root of the exact variance rounded once where the statistics
 * were computed from exact sums; of the variance as given otherwise.
 * {@link #algorithm()} names what computed them ({@link #EXACT_SUMS}), or is null where that is
 * unknown (statistics given by the user).
 */
public final class BatchStatistics implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Shape shape;
  private final long count;
  private final double[] mean;
  private final double[] meanResidual;
  private final double[] variance;
  private final double[] unbiasedVariance;
  /** Null where it is the square root of the variance as given (and in a form serialized without it). */
  private final double[] std;
  private final String algorithm;

  /** The algorithm of {@link ExactMoments}: exact sums, each statistic correctly rounded. */
  public static final String EXACT_SUMS = "exact-sums";

  /**
   * @throws ArgumentException when an array's length is not the channel count, or a
   *     variance is negative or not finite
   */
  public BatchStatistics(Shape shape, long count, double[] mean, double[] variance, double[] unbiasedVariance) {
    this(shape, count, mean, new double[shape.channels()], variance, unbiasedVariance);
  }

  /**
   * Statistics whose mean is known more exactly than one double holds: the true mean of channel c
   * is {@code mean[c] + meanResidual[c]}. On data such as 1e8 + noise the rounding of the mean
   * alone (about 7e-9) would move every normalized value by 7e-9 / std.
   */
  public BatchStatistics(Shape shape, long count, double[] mean, double[] meanResidual, double[] variance,
      double[] unbiasedVariance) {
    this(shape, count, mean, meanResidual, variance, unbiasedVariance, null);
  }

  /** As above, naming the algorithm that computed them (null: unknown). */
  public BatchStatistics(Shape shape, long count, double[] mean, double[] meanResidual, double[] variance,
      double[] unbiasedVariance, String algorithm) {
    this(shape, count, mean, meanResidual, variance, unbiasedVariance, null, algorithm);
  }

  /** With the standard deviations computed from the exact variance (null: the roots of the variances). */
  BatchStatistics(Shape shape, long count, double[] mean, double[] meanResidual, double[] variance,
      double[] unbiasedVariance, double[] std, String algorithm) {
    int channels = shape.channels();
    checkLength("mean", mean, channels);
    checkLength("mean_residual", meanResidual, channels);
    checkLength("var", variance, channels);
    checkLength("var_unbiased", unbiasedVariance, channels);
    if (std != null) {
      checkLength("std", std, channels);
    }
    for (int c = 0; c < channels; c++) {
      if (!Double.isFinite(mean[c])) {
        throw new ArgumentException(Rule.STATISTICS, Argument.MEAN, Double.toString(mean[c]), c,
            "mean[" + c + "] is " + mean[c] + ", must be finite");
      }
      if (!(variance[c] >= 0) || Double.isInfinite(variance[c])) {
        throw new ArgumentException(Rule.STATISTICS, Argument.VAR, Double.toString(variance[c]), c,
            "var[" + c + "] is " + variance[c] + ", must be finite and >= 0");
      }
    }
    this.shape = shape;
    this.count = count;
    this.mean = mean.clone();
    this.meanResidual = meanResidual.clone();
    this.variance = variance.clone();
    this.unbiasedVariance = unbiasedVariance.clone();
    this.std = std == null ? null : std.clone();
    this.algorithm = algorithm;
  }

  /** What computed these statistics ({@link #EXACT_SUMS}), or null where unknown. */
  public String algorithm() {
    return algorithm;
  }

  /** The same statistics, said to be computed by {@code name}. */
  public BatchStatistics withAlgorithm(String name) {
    return new BatchStatistics(shape, count, mean, meanResidual, variance, unbiasedVariance, std, name);
  }

  private static void checkLength(String name, double[] values, int channels) {
    if (values == null || values.length != channels) {
      throw new ArgumentException(Rule.STATISTICS, name.startsWith("mean") ? Argument.MEAN : Argument.VAR,
          values == null ? null : Integer.toString(values.length), -1, name + " has "
          + (values == null ? "no" : String.valueOf(values.length)) + " values, the shape has " + channels
          + " channels");
    }
  }

  public Shape shape() {
    return shape;
  }

  /** Values per channel that these statistics summarize (N x S); 0 when unknown. */
  public long count() {
    return count;
  }

  public double[] mean() {
    return mean.clone();
  }

  /** What the rounding of {@link #mean()} lost: the mean is {@code mean[c] + meanResidual[c]}. */
  public double[] meanResidual() {
    return meanResidual.clone();
  }

  /** The biased variance, M2 / count. */
  public double[] variance() {
    return variance.clone();
  }

  /** The unbiased variance, M2 / (count - 1). */
  public double[] unbiasedVariance() {
    return unbiasedVariance.clone();
  }

  /**
   * The standard deviation sqrt(var): computed from exact sums, the exact root correctly rounded
   * (Math.sqrt of the rounded variance can be one ulp off); given statistics, the root of the
   * variance given.
   */
  public double[] std() {
    if (std != null) {
      return std.clone();
    }
    double[] roots = new double[variance.length];
    for (int c = 0; c < roots.length; c++) {
      roots[c] = Math.sqrt(variance[c]);
    }
    return roots;
  }
}
