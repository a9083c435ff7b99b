package io.sparknorm.bench;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.Shape;

/**
 * Mergeable per-channel moments of a stream of samples in floating point: the count, mean and M2
 * (the sum of squared deviations from the mean) of every channel, in double. The kernel
 * benchmark's baseline for {@code io.sparknorm.core.ExactMoments}, the exact statistics that
 * sparknorm computes: the textbook way to get batch statistics in one pass, close but not
 * correctly rounded.
 *
 * <p>Within one part of the data each sample is folded in with {@link #update(float[])} or
 * {@link #update(double[])}: Welford's update when a channel holds one value per sample, else the
 * sample's own two-pass moments merged in. Parts are combined with {@link #merge(WelfordMoments)},
 * Chan et al.'s pairwise formula. Neither ever subtracts two large sums, which is what makes the
 * naive {@code sum(x^2)/n - mean^2} fail (even go negative) on data such as 1e8 + noise.
 *
 * <p>Each channel also keeps a shift, its first value: the moments are of {@code x - shift}. On
 * data far from zero Welford's running mean of the raw values rounds at the scale of the offset
 * (about 1e-8 for 1e8) in every step; the shifted values are small, so their mean and M2 keep
 * nearly all their digits (variance of 1e8 + noise within 1e-15 relative rather than 1e-9).
 *
 * <p>Every sample adds S values to each channel, so one count serves all channels.
 */
public final class WelfordMoments {
  private final Shape shape;
  private long count;
  /** Per channel: the first value seen; {@link #mean} and {@link #m2} are of x - shift. */
  private final double[] shift;
  private final double[] mean;
  private final double[] m2;

  /** Empty moments for samples of this shape. */
  public WelfordMoments(Shape shape) {
    this.shape = shape;
    this.shift = new double[shape.channels()];
    this.mean = new double[shape.channels()];
    this.m2 = new double[shape.channels()];
  }

  /** The shape of the samples these moments summarize. */
  public Shape shape() {
    return shape;
  }

  /** Values seen per channel: samples x S. */
  public long count() {
    return count;
  }

  /** Folds one flat sample of {@link #shape()} in. */
  public WelfordMoments update(double[] sample) {
    shape.checkLength(sample.length);
    int channels = shape.channels();
    int spatial = shape.spatialSize();
    if (count == 0) {
      for (int c = 0; c < channels; c++) {
        shift[c] = sample[c * spatial];
      }
    }
    if (spatial == 1) {
      long n = count + 1;
      double inverseN = 1.0 / n;
      for (int c = 0; c < channels; c++) {
        double x = sample[c] - shift[c];
        double delta = x - mean[c];
        mean[c] += delta * inverseN;
        m2[c] += delta * (x - mean[c]);
      }
      count = n;
      return this;
    }
    for (int c = 0, start = 0; c < channels; c++, start += spatial) {
      double k = shift[c];
      double sum = 0;
      for (int i = start; i < start + spatial; i++) {
        sum += sample[i] - k;
      }
      double sampleMean = sum / spatial;
      double sampleM2 = 0;
      for (int i = start; i < start + spatial; i++) {
        double d = (sample[i] - k) - sampleMean;
        sampleM2 += d * d;
      }
      combine(c, spatial, sampleMean, sampleM2);
    }
    count += spatial;
    return this;
  }

  /** Folds one flat sample of {@link #shape()} in; the arithmetic is in double. */
  public WelfordMoments update(float[] sample) {
    shape.checkLength(sample.length);
    int channels = shape.channels();
    int spatial = shape.spatialSize();
    if (count == 0) {
      for (int c = 0; c < channels; c++) {
        shift[c] = sample[c * spatial];
      }
    }
    if (spatial == 1) {
      long n = count + 1;
      double inverseN = 1.0 / n;
      for (int c = 0; c < channels; c++) {
        double x = sample[c] - shift[c];
        double delta = x - mean[c];
        mean[c] += delta * inverseN;
        m2[c] += delta * (x - mean[c]);
      }
      count = n;
      return this;
    }
    for (int c = 0, start = 0; c < channels; c++, start += spatial) {
      double k = shift[c];
      double sum = 0;
      for (int i = start; i < start + spatial; i++) {
        sum += sample[i] - k;
      }
      double sampleMean = sum / spatial;
      double sampleM2 = 0;
      for (int i = start; i < start + spatial; i++) {
        double d = (sample[i] - k) - sampleMean;
        sampleM2 += d * d;
      }
      combine(c, spatial, sampleMean, sampleM2);
    }
    count += spatial;
    return this;
  }

  /**
   * Chan's merge of channel c's state with (n, mean, M2) of other values, that mean taken relative
   * to this channel's shift; {@link #count} is not yet updated.
   */
  private void combine(int c, long n, double otherMean, double otherM2) {
    if (count == 0) {
      mean[c] = otherMean;
      m2[c] = otherM2;
      return;
    }
    long total = count + n;
    double delta = otherMean - mean[c];
    mean[c] += delta * ((double) n / total);
    m2[c] += otherM2 + delta * delta * ((double) count * n / total);
  }

  /**
   * Adds another part's moments into these (Chan's formula); the other stays unchanged.
   *
   * @throws IllegalArgumentException when the shapes differ
   */
  public WelfordMoments merge(WelfordMoments other) {
    if (!shape.equals(other.shape)) {
      throw new IllegalArgumentException("cannot merge moments of shape " + other.shape + " into moments of shape " + shape);
    }
    if (other.count == 0) {
      return this;
    }
    for (int c = 0; c < mean.length; c++) {
      if (count == 0) {
        shift[c] = other.shift[c];
      }
      // The other's mean relative to our shift; the shifts are close, so their difference is exact.
      combine(c, other.count, (other.shift[c] - shift[c]) + other.mean[c], other.m2[c]);
    }
    count += other.count;
    return this;
  }

  /**
   * The statistics that batch norm normalizes with.
   *
   * @throws IllegalArgumentException when a channel has seen at most one value, where PyTorch
   *     raises "Expected more than 1 value per channel when training"
   */
  public BatchStatistics statistics() {
    if (count <= 1) {
      throw new IllegalArgumentException(
          "batch norm needs more than 1 value per channel, got " + count + " (samples x spatial size) for shape " + shape);
    }
    int channels = mean.length;
    double[] centre = new double[channels];
    double[] residual = new double[channels];
    double[] variance = new double[channels];
    double[] unbiased = new double[channels];
    for (int c = 0; c < channels; c++) {
      // shift + mean as a rounded sum plus what the rounding lost (Knuth's TwoSum).
      centre[c] = shift[c] + mean[c];
      double shiftPart = centre[c] - mean[c];
      double meanPart = centre[c] - shiftPart;
      residual[c] = (shift[c] - shiftPart) + (mean[c] - meanPart);
      variance[c] = m2[c] / count;
      unbiased[c] = m2[c] / (count - 1);
    }
    return new BatchStatistics(shape, count, centre, residual, variance, unbiased);
  }
}
