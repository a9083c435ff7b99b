package io.sparknorm.core;

import java.util.List;
import org.apache.datasketches.kll.KllDoublesSketch;

/**
 * What a later comparison ({@link CovariateShift}) needs of one channel: the counts (every value,
 * the finite ones the rest is over, NaN, infinities, zeros), the mean and biased variance (exact
 * when the profile came with exact statistics), the min and max (exact), the clear modes, and the
 * channel's KLL sketch (DataSketches' form).
 */
public record ChannelProfile(int index, long count, long finite, long nans, long infinities, long zeros, double mean,
    double var, double min, double max, List<Mode> modes, KllDoublesSketch sketch) {

  public ChannelProfile {
    modes = List.copyOf(modes);
  }

  /** The biased standard deviation sqrt(var). */
  public double std() {
    return Math.sqrt(var);
  }

  /**
   * The estimated fraction of the finite values at or below x: 0 below the min, 1 at or above the
   * max (both exact), the sketch's inclusive rank between.
   */
  public double rank(double x) {
    throw new UnsupportedOperationException("TODO");
  }

  /**
   * The estimated fraction of the finite values strictly below x: 0 at or below the min, 1 above
   * the max, the sketch's exclusive rank between.
   */
  public double rankBelow(double x) {
    throw new UnsupportedOperationException("TODO");
  }

  /** KLL's normalized rank error of one rank (99% confidence) when the sketch estimates, 0 while it holds every value. */
  public double rankError() {
    throw new UnsupportedOperationException("TODO");
  }
}
