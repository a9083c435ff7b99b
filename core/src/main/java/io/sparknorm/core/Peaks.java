package io.sparknorm.core;

import java.util.ArrayList;
import java.util.List;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.quantilescommon.DoublesSortedView;

/**
 * The clear peaks of a channel's distribution, for {@link ChannelFlags}' MULTIMODAL: looked for in
 * the counts of a discrete channel's values, or in a smoothed histogram of the sketch; a peak is
 * clear when it holds enough of the values and a deep and significant dip parts it from every
 * higher neighbour ({@link #clearPeaks}). The thresholds were checked on simulated channels
 * (20 to 300 seeds each): uniform, normal, exponential, binomial, integers uniform on 0..16 and
 * geometric channels of 100 to 1e6 values never showed two clear peaks; an equal mixture of two
 * normals 6 standard deviations apart did every time from 500 values, a 10% minor bump 6 apart
 * from 2,000 values, a 7% one from 1e5; bumps 4 apart with a 20% minor one (dip at 0.6 of the
 * lower peak) did not: "clear" is meant literally.
 */
public final class Peaks {
  /**
   * Bins of the histogram the peaks are looked for in (over the 1% to 99% quantiles): 64, fewer
   * for few values ({@link #PEAK_VALUES_PER_BIN}).
   */
  public static final int PEAK_BINS = 64;
  /**
   * Values a bin at least (bins = n / 32, at least 8): with fewer, the counts' own noise makes
   * dips (100 uniform values in 64 bins showed two "clear" peaks 98% of the time).
   */
  public static final int PEAK_VALUES_PER_BIN = 32;
  /**
   * The histogram is smoothed with a Gaussian of this many bins' standard deviation: the sketch's
   * histogram is a weighted sample of a few hundred values, whose noise would make peaks of single
   * bins; and integer-valued data (bins every 4th filled) must not look like many modes.
   */
  public static final double SMOOTHING_BINS = 1.5;
  /**
   * A channel with at most this many distinct values (in its sketch) is judged on the masses of its
   * values in order, not on a histogram: integers 0..16 are 17 spikes, not 17 modes.
   */
  public static final int DISCRETE_VALUES = 64;
  /**
   * A peak needs at least this fraction of the values in its basin: 5% is 3 times KLL's rank error
   * at k = 200 (1.65%), so the sketch's noise cannot make one, and a smaller group of values is a
   * tail or outlier group rather than a mode that one mean and variance misdescribe.
   */
  public static final double PEAK_MASS = 0.05;
  /**
   * Two peaks are clearly apart when the lowest point between them is at most this fraction of
   * the lower peak: a shoulder or a skewed tail makes no dip that deep, and the sketch's and the
   * counts' noise is kept apart by {@link #PEAK_SIGNIFICANCE}.
   */
  public static final double PEAK_DIP = 0.5;
  /**
   * A dip must also be this many standard deviations of the counts' noise below the peak: with few
   * values a discrete channel's masses are bumpy by chance (500 values uniform on 0..16 showed two
   * "clear" peaks one time in five without it, none with it). The noise of a count h is taken as
   * sqrt(h w f): w the mean weight of the sketch's retained values (1 while KLL is exact; n over the
   * retained count once it compacts), f the smoothing's variance factor (1 for a discrete channel).
   */
  public static final double PEAK_SIGNIFICANCE = 3;

  private Peaks() {}

  /**
   * The clear modes of channel c, in increasing location: each clear peak of {@link #count}'s
   * search with its basin (bounded by the dips to its neighbours, the min and max at the ends) as a
   * range of values and the fraction of the finite values in it. Empty without finite values.
   *
   * <p>For a discrete channel a basin's ends are the values at its dips (a dip's value belongs to
   * both neighbouring modes); for the histogram, the outer edges of its dip bins. The location is
   * the peak's value, or its bin's centre. The mass is read off the sketch's ranks over [lo, hi]
   * ({@link ChannelProfile#rank} minus {@link ChannelProfile#rankBelow}), as {@link CovariateShift}
   * measures a mode's mass in other data.
   */
  public static List<Mode> modes(ChannelSketches sketches, int c) {
    ChannelSummary s = sketches.summary(c);
    if (s.finite() == 0) {
      return List.of();
    }
    return search(sketches, c, s).modes(sketches.sketch(c), s.min(), s.max());
  }

  /**
   * The clear peaks of channel c: of a discrete channel's (at most {@value #DISCRETE_VALUES}
   * distinct values in its sketch) counts per value in order; else of the histogram over [q1%, q99%]
   * (so outliers do not squeeze the bulk into a few bins) in n / {@value #PEAK_VALUES_PER_BIN}
   * bins, 8 to {@value #PEAK_BINS}, smoothed.
   */
  static int count(ChannelSketches sketches, int c, ChannelSummary s) {
    return search(sketches, c, s).basins.size();
  }

  /** The clear peaks' basins over the sequence the search ran on: its values (discrete) or its bin edges. */
  private record Search(List<Basin> basins, double[] values, double[] edges) {
    List<Mode> modes(KllDoublesSketch sketch, double min, double max) {
      List<Mode> modes = new ArrayList<>();
      int n = values != null ? values.length : edges == null ? 0 : edges.length - 1;
      for (Basin b : basins) {
        double location;
        double lo;
        double hi;
        if (values != null) {
          location = values[b.peak];
          lo = b.left < 0 ? min : values[b.left];
          hi = b.right >= n ? max : values[b.right];
        } else if (edges != null) {
          location = edges[b.peak] / 2 + edges[b.peak + 1] / 2;
          lo = b.left < 0 ? min : edges[b.left];
          hi = b.right >= n ? max : edges[b.right + 1];
        } else { // the bulk in one point: one mode over everything
          location = sketch.getQuantile(0.5);
          lo = min;
          hi = max;
        }
        double mass = Ranks.inclusive(sketch, min, max, hi) - Ranks.exclusive(sketch, min, max, lo);
        modes.add(new Mode(location, lo, hi, mass));
      }
      return modes;
    }
  }

  /** A clear peak at index peak, its basin from the dip at left (-1: none) to the dip at right (length: none). */
  private record Basin(int peak, int left, int right) {}

  private static Search search(ChannelSketches sketches, int c, ChannelSummary s) {
    KllDoublesSketch sketch = sketches.sketch(c);
    if (sketch.isEmpty()) {
      return new Search(List.of(), null, null);
    }
    double weight = (double) sketch.getN() / sketch.getNumRetained();
    DoublesSortedView view = sketch.getSortedView();
    double[] values = view.getQuantiles();
    long[] cumulative = view.getCumulativeWeights();
    List<Double> counts = new ArrayList<>();
    List<Double> distinct = new ArrayList<>();
    for (int i = 0; i < values.length && counts.size() <= DISCRETE_VALUES; i++) {
      double count = cumulative[i] - (i == 0 ? 0 : cumulative[i - 1]);
      if (i > 0 && values[i] == values[i - 1]) {
        counts.set(counts.size() - 1, counts.get(counts.size() - 1) + count);
      } else {
        counts.add(count);
        distinct.add(values[i]);
      }
    }
    if (counts.size() <= DISCRETE_VALUES) {
      return new Search(clearBasins(counts.stream().mapToDouble(Double::doubleValue).toArray(), weight),
          distinct.stream().mapToDouble(Double::doubleValue).toArray(), null);
    }
    if (!(s.q01() < s.q99())) {
      return new Search(List.of(new Basin(0, -1, 1)), null, null);
    }
    int bins = (int) Math.max(8, Math.min(PEAK_BINS, s.finite() / PEAK_VALUES_PER_BIN));
    SketchHistogram histogram = sketches.histogram(c, bins, s.q01(), s.q99());
    long[] counted = histogram.counts();
    double[] h = new double[counted.length];
    for (int i = 0; i < h.length; i++) {
      h[i] = counted[i];
    }
    // Smoothing with normalized weights w_d divides a count's variance by 1 / sum w_d^2, about 2 sqrt(pi) sigma.
    return new Search(clearBasins(smooth(h, SMOOTHING_BINS), weight / (2 * Math.sqrt(Math.PI) * SMOOTHING_BINS)),
        null, histogram.edges());
  }

  /** Gaussian smoothing with standard deviation sigma bins, reflected at both ends (no mass lost). */
  public static double[] smooth(double[] h, double sigma) {
    int radius = (int) Math.ceil(3 * sigma);
    double[] w = new double[radius + 1];
    double norm = 0;
    for (int d = 0; d <= radius; d++) {
      w[d] = Math.exp(-0.5 * d * d / (sigma * sigma));
      norm += d == 0 ? w[d] : 2 * w[d];
    }
    double[] out = new double[h.length];
    for (int i = 0; i < h.length; i++) {
      for (int d = -radius; d <= radius; d++) {
        int j = i + d;
        while (j < 0 || j >= h.length) { // reflect: -1 -> 0, n -> n - 1
          j = j < 0 ? -j - 1 : 2 * h.length - j - 1;
        }
        out[j] += h[i] * w[Math.abs(d)] / norm;
      }
    }
    return out;
  }

  /**
   * The clear peaks of a sequence of counts (histogram bins, or a discrete channel's values in
   * order) whose noise has variance {@code variance} times the count. Starts from its local maxima
   * (a plateau is one), then drops, lowest first, every peak that is not clear, until all left are:
   * a clear peak holds at least {@value #PEAK_MASS} of the total in its basin (from the lowest point
   * towards the previous peak to the lowest point towards the next, half of each of those points),
   * and the lowest point d between it and each higher neighbouring peak is at most
   * {@value #PEAK_DIP} of its height h and below it by {@value #PEAK_SIGNIFICANCE} standard
   * deviations of the noise, sqrt((h + d) variance). A dropped peak's basin joins its neighbours'.
   */
  public static int clearPeaks(double[] h, double variance) {
    return clearBasins(h, variance).size();
  }

  /** {@link #clearPeaks}' peaks with their basins' dips. */
  private static List<Basin> clearBasins(double[] h, double variance) {
    double total = 0;
    for (double x : h) {
      total += x;
    }
    if (!(total > 0)) {
      return List.of();
    }
    List<Integer> peaks = new ArrayList<>();
    for (int i = 0; i < h.length; ) {
      int j = i;
      while (j + 1 < h.length && h[j + 1] == h[i]) {
        j++;
      }
      if (h[i] > 0 && (i == 0 || h[i - 1] < h[i]) && (j == h.length - 1 || h[j + 1] < h[j])) {
        peaks.add((i + j) >>> 1);
      }
      i = j + 1;
    }
    while (peaks.size() > 1) {
      int weakest = -1;
      for (int k = 0; k < peaks.size(); k++) {
        int p = peaks.get(k);
        int left = k == 0 ? -1 : lowest(h, peaks.get(k - 1), p);
        int right = k == peaks.size() - 1 ? h.length : lowest(h, p, peaks.get(k + 1));
        double mass = (left >= 0 ? h[left] / 2 : 0) + (right < h.length ? h[right] / 2 : 0);
        for (int i = left + 1; i < right; i++) {
          mass += h[i];
        }
        boolean weak = mass < PEAK_MASS * total
            || (left >= 0 && h[peaks.get(k - 1)] >= h[p] && !clearDip(h[p], h[left], variance))
            || (right < h.length && h[peaks.get(k + 1)] >= h[p] && !clearDip(h[p], h[right], variance));
        if (weak && (weakest < 0 || h[p] < h[peaks.get(weakest)])) {
          weakest = k;
        }
      }
      if (weakest < 0) {
        break;
      }
      peaks.remove(weakest);
    }
    List<Basin> basins = new ArrayList<>();
    for (int k = 0; k < peaks.size(); k++) {
      int p = peaks.get(k);
      basins.add(new Basin(p, k == 0 ? -1 : lowest(h, peaks.get(k - 1), p),
          k == peaks.size() - 1 ? h.length : lowest(h, p, peaks.get(k + 1))));
    }
    return basins;
  }

  private static boolean clearDip(double peak, double dip, double variance) {
    return dip <= PEAK_DIP * peak && peak - dip > PEAK_SIGNIFICANCE * Math.sqrt((peak + dip) * variance);
  }

  /** The index of the lowest of h(from, to) (the first of equals). */
  private static int lowest(double[] h, int from, int to) {
    int best = from + 1;
    for (int i = from + 2; i < to; i++) {
      if (h[i] < h[best]) {
        best = i;
      }
    }
    return best;
  }
}
