package io.sparknorm.report;

import java.util.Arrays;

/**
 * One channel's histogram as the report draws it (the input's or the normalized output's, {@link ChannelReport}):
 * counts of values in {@code counts.length} bins, at least one. Bin i holds the values in [edges[i], edges[i + 1])
 * (the last bin includes its upper edge). Edges are non-decreasing; all equal edges mean every value is that one
 * number.
 */
public record ChannelHistogram(double[] edges, double[] counts) {
  public ChannelHistogram {
    if (edges == null || counts == null || counts.length == 0 || edges.length != counts.length + 1) {
      throw new IllegalArgumentException("a histogram needs bins + 1 edges and at least one bin; got "
          + (edges == null ? "null" : edges.length) + " edges and " + (counts == null ? "null" : counts.length)
          + " counts");
    }
    edges = edges.clone();
    counts = counts.clone();
    for (int i = 1; i < edges.length; i++) {
      if (!(edges[i] >= edges[i - 1])) {
        throw new IllegalArgumentException("histogram edges must be non-decreasing numbers: " + Arrays.toString(edges));
      }
    }
  }

  /** {@code counts.length} bins of equal width from {@code lo} to {@code hi}. */
  public static ChannelHistogram uniform(double lo, double hi, double[] counts) {
    double[] edges = new double[counts.length + 1];
    for (int i = 0; i <= counts.length; i++) {
      edges[i] = i == counts.length ? hi : lo + (hi - lo) * i / counts.length;
    }
    return new ChannelHistogram(edges, counts);
  }

  /** {@code bins} bins of equal width from the smallest to the largest of the values. */
  public static ChannelHistogram of(double[] values, int bins) {
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (double v : values) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    double[] counts = new double[bins];
    if (values.length == 0) {
      return uniform(0, 0, counts);
    }
    for (double v : values) {
      int bin = hi > lo ? (int) Math.floor((v - lo) / (hi - lo) * bins) : 0;
      counts[Math.min(bins - 1, Math.max(0, bin))]++;
    }
    return uniform(lo, hi, counts);
  }

  public int bins() {
    return counts.length;
  }

  public double lo() {
    return edges[0];
  }

  public double hi() {
    return edges[edges.length - 1];
  }

  public double total() {
    double total = 0;
    for (double c : counts) {
      total += c;
    }
    return total;
  }

  @Override
  public double[] edges() {
    return edges.clone();
  }

  @Override
  public double[] counts() {
    return counts.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ChannelHistogram h && Arrays.equals(edges, h.edges) && Arrays.equals(counts, h.counts);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(edges) + Arrays.hashCode(counts);
  }

  @Override
  public String toString() {
    return "ChannelHistogram[edges=" + Arrays.toString(edges) + ", counts=" + Arrays.toString(counts) + "]";
  }
}
