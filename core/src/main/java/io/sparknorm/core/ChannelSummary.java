package io.sparknorm.core;

/**
 * One channel's results from {@link ChannelSketches#summary(int)}, for the report. count is every
 * value of the channel, finite the finite ones that everything else is over; variance is biased
 * (over n), skewness is g1 and kurtosis is non-excess (3 for a normal distribution), both without
 * small-sample correction; q001, q01, q50, q99 and q999 are the sketch's estimates of the 0.1%,
 * 1%, 50%, 99% and 99.9% quantiles. Without finite values every double is NaN; with all values
 * equal the variance is 0 and skewness and kurtosis are NaN.
 */
public record ChannelSummary(int channel, long count, long finite, long nans, long infinities, long zeros, double min,
    double max, double mean, double variance, double skewness, double kurtosis, double q001, double q01, double q50,
    double q99, double q999) {

  /** The standard deviation sqrt(variance) (biased). */
  public double std() {
    return Math.sqrt(variance);
  }

  /** NaN and infinite values. */
  public long nonFinite() {
    return nans + infinities;
  }

  /** The fraction of the finite values that are zero (NaN without finite values). */
  public double zeroFraction() {
    return finite == 0 ? Double.NaN : (double) zeros / finite;
  }
}
