package io.sparknorm.core;

import java.util.List;
import org.apache.datasketches.kll.KllDoublesSketch;

/**
 * What a later comparison ({@link CovariateShift}) needs of one channel: the counts (every value,
 * the finite ones the rest is over, NaN, infinities, zeros), the mean and biased variance (exact
 * when the profile came with exact statistics), the min and max (exact), the clear modes, the
 * channel's KLL sketch (DataSketches' form) and the kurtosis (non-excess, from the sketches'
 * moments; NaN when unknown or the values are all equal), which tells how noisy the variance is.
 * Without finite values the doubles are NaN and the sketch is empty.
 */
public record ChannelProfile(int index, long count, long finite, long nans, long infinities, long zeros, double mean,
    double var, double min, double max, List<Mode> modes, KllDoublesSketch sketch, double kurtosis) {

  public ChannelProfile {
    modes = List.copyOf(modes);
  }

  /** Without the kurtosis (NaN: {@link CovariateShift} then bounds it by the range). */
  public ChannelProfile(int index, long count, long finite, long nans, long infinities, long zeros, double mean,
      double var, double min, double max, List<Mode> modes, KllDoublesSketch sketch) {
    this(index, count, finite, nans, infinities, zeros, mean, var, min, max, modes, sketch, Double.NaN);
  }

  /** The biased standard deviation sqrt(var). */
  public double std() {
    return Math.sqrt(var);
  }

  /**
   * The estimated fraction of the finite values at or below x: 0 below the min, 1 at or above the
   * max (both exact), the sketch's inclusive rank between. NaN without finite values.
   */
  public double rank(double x) {
    return Ranks.inclusive(sketch, min, max, x);
  }

  /**
   * The estimated fraction of the finite values strictly below x: 0 at or below the min, 1 above
   * the max, the sketch's exclusive rank between. NaN without finite values.
   */
  public double rankBelow(double x) {
    return Ranks.exclusive(sketch, min, max, x);
  }

  /** The estimated fraction of the finite values in [lo, hi]: {@link #rank}(hi) - {@link #rankBelow}(lo). */
  public double mass(double lo, double hi) {
    return Math.max(0, rank(hi) - rankBelow(lo));
  }

  /** KLL's normalized rank error of one rank (99% confidence) when the sketch estimates, 0 while it holds every value. */
  public double rankError() {
    return sketch.isEstimationMode() ? sketch.getNormalizedRankError(false) : 0;
  }

  /**
   * KLL's normalized error (99% confidence) of a difference of two ranks, as in {@link #mass}, when
   * the sketch estimates; 0 while it holds every value.
   */
  public double massError() {
    return sketch.isEstimationMode() ? sketch.getNormalizedRankError(true) : 0;
  }
}
