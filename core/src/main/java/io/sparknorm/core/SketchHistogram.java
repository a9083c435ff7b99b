package io.sparknorm.core;

import java.util.Arrays;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.quantilescommon.QuantileSearchCriteria;

/**
 * A histogram of one channel, estimated from its quantile sketch: {@code bins()} bins with
 * increasing edges {@code edges[0] <= edges[1] <= ... <= edges[bins]} (equal only for a constant
 * channel's one bin, or where an affine map rounds two together) and the estimated count of
 * values in each. Bin i
 * holds the values in [edges[i], edges[i + 1]), the last bin also its upper edge (numpy's
 * convention); a mapped histogram with a negative slope has them the other way round (see
 * {@link #mapped}). {@code below} and {@code above} count the values outside [edges[0],
 * edges[bins]] (0 for a histogram over [min, max]).
 *
 * <p>The counts are whole numbers read off the sketch's cumulative distribution (its ranks times
 * the count, rounded), so they and {@code below} and {@code above} sum to the channel's count of
 * finite values exactly. Each count is an estimate: the sketch's rank error (about 1.65% of the
 * count for k = 200) bounds the error of any bin's count and of any run of bins. A channel whose
 * values are all equal has one bin with both edges at that value; one without values has none.
 */
public record SketchHistogram(double[] edges, long[] counts, long below, long above) {

  public SketchHistogram {
    if (counts.length == 0 ? edges.length != 0 : edges.length != counts.length + 1) {
      throw new IllegalArgumentException(
          "histogram: " + edges.length + " edges for " + counts.length + " bins, expected bins + 1 (or none)");
    }
    edges = edges.clone();
    counts = counts.clone();
  }

  /**
   * The histogram of a sketch's values over [lo, hi] (finite, lo &lt;= hi) in equal bins (fewer if
   * the range is too narrow for distinct double edges; one bin [lo, lo] if lo = hi): the counts are
   * the sketch's ranks at the edges (values below each; at or below hi for the last) times its
   * count, rounded, and their differences.
   */
  static SketchHistogram of(KllDoublesSketch sketch, int bins, double lo, double hi) {
    if (sketch.isEmpty()) {
      return empty();
    }
    double[] edges = lo == hi ? new double[] {lo, hi} : edges(bins, lo, hi);
    int n = edges.length - 1;
    double[] ranks = sketch.getCDF(Arrays.copyOf(edges, n), QuantileSearchCriteria.EXCLUSIVE);
    long total = sketch.getN();
    long[] cumulative = new long[n + 1];
    for (int i = 0; i < n; i++) {
      cumulative[i] = Math.round(ranks[i] * total);
    }
    cumulative[n] = Math.round(sketch.getRank(hi, QuantileSearchCriteria.INCLUSIVE) * total);
    long[] counts = new long[n];
    for (int i = 0; i < n; i++) {
      counts[i] = cumulative[i + 1] - cumulative[i];
    }
    return new SketchHistogram(edges, counts, cumulative[0], total - cumulative[n]);
  }

  /** bins + 1 strictly increasing edges from lo to hi (lo &lt; hi), fewer bins if doubles cannot part them. */
  private static double[] edges(int bins, double lo, double hi) {
    for (int n = bins; ; n = Math.max(1, n / 2)) {
      double width = hi / n - lo / n; // no overflow for the widest finite range
      double[] edges = new double[n + 1];
      boolean increasing = true;
      for (int i = 0; i < n; i++) {
        edges[i] = lo + i * width;
        increasing &= i == 0 || edges[i] > edges[i - 1];
      }
      edges[n] = hi;
      if ((increasing && edges[n] > edges[n - 1]) || n == 1) {
        return edges;
      }
    }
  }

  /** The histogram of no values: no bins. */
  public static SketchHistogram empty() {
    return new SketchHistogram(new double[0], new long[0], 0, 0);
  }

  public int bins() {
    return counts.length;
  }

  /** The count of the values in bin i. */
  public long count(int bin) {
    return counts[bin];
  }

  /** The values in the bins together (without below and above). */
  public long total() {
    long total = 0;
    for (long c : counts) {
      total += c;
    }
    return total;
  }

  @Override
  public double[] edges() {
    return edges.clone();
  }

  @Override
  public long[] counts() {
    return counts.clone();
  }

  /**
   * The histogram of y = a x + b for the values x of this one: the same counts over the mapped
   * edges. For a &gt; 0 the bins keep their order; for a &lt; 0 they are reversed (so the edges
   * increase again), each bin then holding (edges[i], edges[i + 1]] and below and above swapped;
   * a = 0 maps everything to b: one bin [b, b].
   *
   * @throws IllegalArgumentException if a or b is not finite
   */
  public SketchHistogram mapped(double a, double b) {
    if (!Double.isFinite(a) || !Double.isFinite(b)) {
      throw new IllegalArgumentException("histogram: the affine map y = a x + b needs finite a and b, got a = " + a
          + ", b = " + b);
    }
    int bins = counts.length;
    if (bins == 0) {
      return this;
    }
    if (a == 0) {
      return new SketchHistogram(new double[] {b, b}, new long[] {total() + below + above}, 0, 0);
    }
    double[] y = new double[bins + 1];
    long[] c = new long[bins];
    for (int i = 0; i <= bins; i++) {
      int j = a > 0 ? i : bins - i;
      y[i] = a * edges[j] + b;
    }
    for (int i = 0; i < bins; i++) {
      c[i] = counts[a > 0 ? i : bins - 1 - i];
    }
    // Rounding can make neighbouring mapped edges equal; the record only asks edges to increase weakly.
    return a > 0 ? new SketchHistogram(y, c, below, above) : new SketchHistogram(y, c, above, below);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SketchHistogram h && Arrays.equals(edges, h.edges) && Arrays.equals(counts, h.counts)
        && below == h.below && above == h.above;
  }

  @Override
  public int hashCode() {
    return 31 * (31 * Arrays.hashCode(edges) + Arrays.hashCode(counts)) + Long.hashCode(below) * 7 + Long.hashCode(above);
  }

  @Override
  public String toString() {
    return "SketchHistogram[edges=" + Arrays.toString(edges) + ", counts=" + Arrays.toString(counts) + ", below="
        + below + ", above=" + above + "]";
  }
}
