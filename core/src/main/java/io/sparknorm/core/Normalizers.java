package io.sparknorm.core;

import io.sparknorm.core.ArgumentException.Argument;
import io.sparknorm.core.NormalizationException.Rule;

/**
 * Builds the per-sample normalizers with PyTorch's rules, like {@code torch.nn.functional}:
 * biased variance, {@code eps} inside the square root, affine per channel (per element for layer
 * norm). Every rule PyTorch enforces is an {@link ArgumentException} here that names what was
 * wrong.
 */
public final class Normalizers {
  /**
   * PyTorch's default eps as command lines and usage texts write it: the one place it is defined,
   * text so that an annotation (a picocli default value) can use it too.
   */
  public static final String DEFAULT_EPS_TEXT = "1e-5";
  /** PyTorch's default eps. */
  public static final double DEFAULT_EPS = Double.parseDouble(DEFAULT_EPS_TEXT);

  private Normalizers() {}

  /**
   * Batch norm with given statistics (fitted ones, or PyTorch's running_mean and running_var for
   * evaluation mode). Affine per channel.
   *
   * @throws IllegalArgumentException also for a channel of variance 0 with eps 0, whose every
   *     normalized value would be NaN or infinite
   */
  public static Normalizer batch(BatchStatistics statistics, double eps, Affine affine) {
    return batch(statistics.shape(), statistics.mean(), statistics.meanResidual(), statistics.variance(), eps,
        affine);
  }

  /** Batch norm with given per-channel mean and (biased) variance. Affine per channel. */
  public static Normalizer batch(Shape shape, double[] mean, double[] variance, double eps, Affine affine) {
    return batch(shape, mean, new double[mean.length], variance, eps, affine);
  }

  private static Normalizer batch(Shape shape, double[] mean, double[] meanResidual, double[] variance, double eps,
      Affine affine) {
    checkEps(eps);
    int channels = shape.channels();
    if (mean.length != channels || variance.length != channels) {
      throw new ArgumentException(Rule.STATISTICS, mean.length != channels ? Argument.MEAN : Argument.VAR,
          Integer.toString(mean.length != channels ? mean.length : variance.length), -1, "batch norm of shape " + shape
          + " needs " + channels + " means and variances, got " + mean.length + " and " + variance.length);
    }
    for (int c = 0; c < channels; c++) {
      if (!(variance[c] >= 0) || !Double.isFinite(mean[c]) || Double.isInfinite(variance[c])) {
        boolean ofMean = !Double.isFinite(mean[c]);
        throw new ArgumentException(Rule.STATISTICS, ofMean ? Argument.MEAN : Argument.VAR,
            Double.toString(ofMean ? mean[c] : variance[c]), c, "batch norm channel " + c + ": mean " + mean[c]
            + " and variance " + variance[c] + " must be finite, the variance >= 0");
      }
      if (variance[c] == 0 && eps == 0) {
        throw new ArgumentException(Rule.ZERO_VARIANCE, Argument.EPS, Double.toString(eps), c, "batch norm channel "
            + c + " has variance 0 and eps is 0: its normalized values are 0/0 or x/0, not finite; give eps > 0");
      }
    }
    affine.checkLength(channels, "one per channel (C = " + channels + ") for batch norm of shape " + shape);
    return new BatchNormalizer(shape, mean, meanResidual, variance, eps, affine);
  }

  /**
   * Layer norm over the whole sample ({@code normalized_shape} = the sample shape). Affine per
   * element: C x S values.
   */
  public static Normalizer layer(Shape shape, double eps, Affine affine) {
    checkEps(eps);
    affine.checkLength(shape.size(), "one per element (" + shape.size() + ") for layer norm of shape " + shape);
    return new SegmentNormalizer(shape, 1, eps, affine, true);
  }

  /**
   * Instance norm: per channel over the spatial positions. Affine per channel.
   *
   * @throws IllegalArgumentException when S = 1, where PyTorch raises "Expected more than 1
   *     spatial element when training"
   */
  public static Normalizer instance(Shape shape, double eps, Affine affine) {
    checkEps(eps);
    if (shape.spatialSize() <= 1) {
      throw new ArgumentException(Rule.SPATIAL_SIZE, Argument.SHAPE, Integer.toString(shape.spatialSize()), -1,
          "instance norm needs more than 1 spatial element per channel, got shape " + shape + " (spatial size "
          + shape.spatialSize() + "); give the spatial dimensions in the shape");
    }
    affine.checkLength(shape.channels(), "one per channel (C = " + shape.channels() + ") for instance norm of shape " + shape);
    return new SegmentNormalizer(shape, shape.channels(), eps, affine, false);
  }

  /**
   * Group norm: per group of C/G consecutive channels. Affine per channel.
   *
   * @throws IllegalArgumentException when {@code groups <= 0} or G does not divide C
   */
  public static Normalizer group(Shape shape, int groups, double eps, Affine affine) {
    checkEps(eps);
    checkGroups(shape, groups);
    affine.checkLength(shape.channels(), "one per channel (C = " + shape.channels() + ") for group norm of shape " + shape);
    return new SegmentNormalizer(shape, groups, eps, affine, false);
  }

  /** Checks PyTorch's rule for group norm: 0 < G and G divides C. */
  public static void checkGroups(Shape shape, int groups) {
    if (groups <= 0) {
      throw new ArgumentException(Rule.GROUPS, Argument.GROUPS, Integer.toString(groups), -1, "groups is " + groups
          + ", must be a positive divisor of the channel count " + shape.channels());
    }
    if (shape.channels() % groups != 0) {
      throw new ArgumentException(Rule.GROUPS, Argument.GROUPS, Integer.toString(groups), -1, "groups " + groups
          + " does not divide the channel count C = " + shape.channels() + " of shape " + shape);
    }
  }

  /** eps must be finite and >= 0. */
  public static void checkEps(double eps) {
    if (!(eps >= 0) || Double.isInfinite(eps)) {
      throw new ArgumentException(Rule.EPS, Argument.EPS, Double.toString(eps), -1, "eps is " + eps
          + ", must be finite and >= 0");
    }
  }
}
