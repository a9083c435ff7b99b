package io.sparknorm.core;

import java.util.ArrayList;
import java.util.List;

/**
 * A profile of one population of samples (all rows, or one {@code --by} key's rows): per channel a
 * {@link ChannelProfile}. Made from the {@link ChannelSketches} of the pass that reads the data,
 * with the exact mean and variance of {@link BatchStatistics} in place of the sketches' moments
 * when they were fitted in that pass. Its file form is {@link ProfileSet}'s.
 */
public final class StatisticsProfile {
  private final Shape shape;
  private final int k;
  private final boolean exactMoments;
  private final List<ChannelProfile> channels;

  public StatisticsProfile(Shape shape, int k, boolean exactMoments, List<ChannelProfile> channels) {
    if (channels.size() != shape.channels()) {
      throw new IllegalArgumentException("profile: " + channels.size() + " channels for shape " + shape);
    }
    this.shape = shape;
    this.k = k;
    this.exactMoments = exactMoments;
    this.channels = List.copyOf(channels);
  }

  /**
   * The profile of a pass's sketches; {@code exact}, when not null (batch norm's statistics of the
   * same rows), gives each channel's mean and variance instead of the sketches' moments.
   */
  public static StatisticsProfile of(ChannelSketches sketches, BatchStatistics exact) {
    Shape shape = sketches.shape();
    if (exact != null && !exact.shape().equals(shape)) {
      throw new IllegalArgumentException(
          "profile: the statistics' shape " + exact.shape() + " is not the sketches' " + shape);
    }
    double[] exactMean = exact == null ? null : exact.mean();
    double[] exactVar = exact == null ? null : exact.variance();
    List<ChannelProfile> channels = new ArrayList<>(shape.channels());
    for (int c = 0; c < shape.channels(); c++) {
      ChannelSummary s = sketches.summary(c);
      boolean any = s.finite() > 0;
      double mean = !any ? Double.NaN : exact != null ? exactMean[c] : s.mean();
      double var = !any ? Double.NaN : exact != null ? exactVar[c] : s.variance();
      channels.add(new ChannelProfile(c, s.count(), s.finite(), s.nans(), s.infinities(), s.zeros(), mean, var,
          s.min(), s.max(), Peaks.modes(sketches, c), sketches.sketch(c), s.kurtosis()));
    }
    return new StatisticsProfile(shape, sketches.k(), exact != null, channels);
  }

  public Shape shape() {
    return shape;
  }

  /** KLL's k of the sketches. */
  public int k() {
    return k;
  }

  /** Whether mean and var are exact (from batch norm's statistics) rather than the sketches' moments. */
  public boolean exactMoments() {
    return exactMoments;
  }

  public List<ChannelProfile> channels() {
    return channels;
  }

  public ChannelProfile channel(int c) {
    return channels.get(c);
  }
}
