package io.sparknorm.core;

import java.io.Serializable;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.memory.Memory;
import org.apache.datasketches.quantilescommon.QuantileSearchCriteria;

/**
 * Mergeable per-channel sketches for the statistics report, beside {@link ExactMoments} in the same
 * pass: per channel a KLL quantile sketch (Apache DataSketches' {@link KllDoublesSketch}, k = 200
 * by default), the min and max, the counts of zeros, NaN and infinities, and the central moments
 * up to the fourth ({@link CentralMoments}). Samples have the same flat layout as ExactMoments':
 * channel c of a sample of shape (C, S...) is the values [c S, (c + 1) S).
 *
 * <p>Non-finite values (kept rows in a mode that keeps them) are only counted: the sketch, the
 * min, max, zeros and moments are over the finite values ({@link #finiteCount}). -0.0 counts as a
 * zero.
 *
 * <p>The update is cheap apart from the sketch's share: {@link BlockStager} hands each channel's
 * values on in blocks of up to 256; a block's sum, min, max and zeros take one loop, its moments
 * another, and {@link KllFeeder} puts it into the KLL sketch (a channel's first 4,096 values as
 * they are, then sorted runs of 16 compacted to weight 2, 4 or 8 as KLL's own first compactions
 * would, at KLL's accuracy). Reading, merging or writing the state flushes those buffers, which changes no count,
 * min, max or moment. KLL compacts with random choices, so quantiles and histograms may differ
 * within their estimation error from run to run and between merge orders; counts, min and max are
 * exact and the moments equal to about 1e-15 relative in any order. Not thread-safe.
 *
 * <p>Memory: a KLL sketch with k = 200 holds at most about 3 k values (under 6 KiB) whatever the
 * count; while updating, a channel also has a second such sketch and 256 staged doubles: about
 * 15 MiB for 1,000 channels. {@link ChannelSketchesCodec} writes the compact form
 * ({@link #toBytes}, also used by Java serialization).
 */
public final class ChannelSketches implements Serializable {
  private static final long serialVersionUID = 1L;
  /**
   * KLL's k by default: normalized rank error (99% confidence) about 1.33% for one quantile, 1.65%
   * for ranks compared or differenced, as in a histogram's bins.
   */
  public static final int DEFAULT_K = 200;

  final Shape shape;
  final int k;
  long count;
  final KllDoublesSketch[] sketches;
  final CentralMoments[] moments;
  final double[] min;
  final double[] max;
  final long[] zeros;
  final long[] nans;
  final long[] infinities;

  private final BlockStager stager;
  private final KllFeeder feeder;

  /** Empty sketches with k = {@value #DEFAULT_K}. */
  public ChannelSketches(Shape shape) {
    this(shape, DEFAULT_K);
  }

  /** Empty sketches; k is KLL's accuracy parameter (8 to 65535: rank error roughly 1.65% x 200 / k). */
  public ChannelSketches(Shape shape, int k) {
    if (k < 8 || k > 65535) {
      throw new IllegalArgumentException("channel sketches: k must be 8 to 65535, got " + k);
    }
    this.shape = shape;
    this.k = k;
    int channels = shape.channels();
    sketches = new KllDoublesSketch[channels];
    moments = new CentralMoments[channels];
    for (int c = 0; c < channels; c++) {
      sketches[c] = KllDoublesSketch.newHeapInstance(k);
      moments[c] = new CentralMoments();
    }
    min = new double[channels];
    max = new double[channels];
    java.util.Arrays.fill(min, Double.POSITIVE_INFINITY);
    java.util.Arrays.fill(max, Double.NEGATIVE_INFINITY);
    zeros = new long[channels];
    nans = new long[channels];
    infinities = new long[channels];
    stager = new BlockStager(shape, this::addBlock);
    feeder = new KllFeeder(sketches, k);
  }

  public Shape shape() {
    return shape;
  }

  /** KLL's k of every channel's sketch. */
  public int k() {
    return k;
  }

  /** Values seen per channel, finite or not: samples x S. */
  public long count() {
    return count;
  }

  /** Folds one flat sample of {@link #shape()} in. */
  public ChannelSketches update(double[] sample) {
    shape.checkLength(sample.length);
    stager.add(sample);
    count += shape.spatialSize();
    return this;
  }

  /** Folds one flat sample of {@link #shape()} in (each float exactly as a double). */
  public ChannelSketches update(float[] sample) {
    shape.checkLength(sample.length);
    stager.add(sample);
    count += shape.spatialSize();
    return this;
  }

  /** Before reading, merging or writing: the staged values in, and the compacted values folded into the sketches. */
  void flush() {
    stager.flush();
    for (int c = 0; c < sketches.length; c++) {
      feeder.fold(c);
    }
  }

  /** Folds values[from, to) of channel c in: sum, min, max and zeros in one loop, then moments and sketch. */
  private void addBlock(int c, double[] values, int from, int to) {
    if (from == to) {
      return;
    }
    double sum = 0;
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    int zero = 0;
    for (int i = from; i < to; i++) {
      double x = values[i];
      sum += x;
      lo = x < lo ? x : lo;
      hi = x > hi ? x : hi;
      zero += x == 0 ? 1 : 0;
    }
    if (!(sum - sum == 0) && finiteOnly(c, values, from, to)) {
      return;
    }
    min[c] = Math.min(min[c], lo);
    max[c] = Math.max(max[c], hi);
    zeros[c] += zero;
    long seen = moments[c].n();
    moments[c].addBlock(values, from, to, sum);
    feeder.add(c, values, from, to, seen);
  }

  /**
   * A block whose sum is not finite: when it holds NaN or infinities, counts them and folds the
   * finite values in (returns true); when all are finite (the sum overflowed), returns false.
   */
  private boolean finiteOnly(int c, double[] values, int from, int to) {
    double[] finite = new double[to - from];
    int n = 0;
    for (int i = from; i < to; i++) {
      double x = values[i];
      if (Double.isNaN(x)) {
        nans[c]++;
      } else if (Double.isInfinite(x)) {
        infinities[c]++;
      } else {
        finite[n++] = x;
      }
    }
    if (n == to - from) {
      return false;
    }
    addBlock(c, finite, 0, n);
    return true;
  }

  /**
   * Folds another state of the same shape in (its buffers are flushed first; its values are left as
   * they were).
   */
  public ChannelSketches merge(ChannelSketches other) {
    if (!shape.equals(other.shape)) {
      throw new IllegalArgumentException("channel sketches: cannot merge shape " + other.shape + " into " + shape);
    }
    flush();
    other.flush();
    for (int c = 0; c < sketches.length; c++) {
      sketches[c].merge(other.sketches[c]);
      moments[c].merge(other.moments[c]);
      min[c] = Math.min(min[c], other.min[c]);
      max[c] = Math.max(max[c], other.max[c]);
      zeros[c] += other.zeros[c];
      nans[c] += other.nans[c];
      infinities[c] += other.infinities[c];
    }
    count += other.count;
    return this;
  }

  /** The compact form: shape, k, count, then per channel the scalars and KLL's own bytes. */
  public byte[] toBytes() {
    flush();
    return ChannelSketchesCodec.write(this);
  }

  /**
   * Reads the form of {@link #toBytes()}.
   *
   * @throws IllegalArgumentException when the bytes are not such a form
   */
  public static ChannelSketches fromBytes(byte[] bytes) {
    return ChannelSketchesCodec.read(bytes);
  }

  /** Finite values of channel c: what the sketch, min, max, zeros and moments are over. */
  public long finiteCount(int c) {
    flush();
    return moments[c].n();
  }

  /** The smallest finite value of channel c (NaN if none). */
  public double min(int c) {
    flush();
    return moments[c].n() == 0 ? Double.NaN : min[c];
  }

  /** The largest finite value of channel c (NaN if none). */
  public double max(int c) {
    flush();
    return moments[c].n() == 0 ? Double.NaN : max[c];
  }

  /** Values of channel c equal to zero (0.0 and -0.0). */
  public long zeros(int c) {
    flush();
    return zeros[c];
  }

  public long nanCount(int c) {
    flush();
    return nans[c];
  }

  /** Values of channel c that are +-infinity. */
  public long infiniteCount(int c) {
    flush();
    return infinities[c];
  }

  /** NaN and infinite values of channel c. */
  public long nonFinite(int c) {
    flush();
    return nans[c] + infinities[c];
  }

  /** A copy of channel c's moments (n, mean, M2, M3, M4); all equal values give M2 = M3 = M4 = 0. */
  public CentralMoments moments(int c) {
    flush();
    CentralMoments m = moments[c];
    boolean constant = min[c] == max[c];
    return new CentralMoments(m.n(), constant ? min[c] : m.mean(), constant ? 0 : m.m2(), constant ? 0 : m.m3(),
        constant ? 0 : m.m4());
  }

  public double mean(int c) {
    return moments(c).mean();
  }

  /** The biased variance (over n), as batch norm normalizes with; 0 when all values are equal. */
  public double variance(int c) {
    return moments(c).variance();
  }

  /** {@link CentralMoments#skewness()}: g1, without small-sample correction. */
  public double skewness(int c) {
    return moments(c).skewness();
  }

  /** {@link CentralMoments#kurtosis()}: non-excess (3 for a normal distribution). */
  public double kurtosis(int c) {
    return moments(c).kurtosis();
  }

  /**
   * The estimated quantile of channel c at a rank in [0, 1]: the smallest retained value whose
   * inclusive rank (fraction of values at or below it) is at least rank; rank 0 and 1 give the min
   * and the max. NaN without finite values. The rank error is at most
   * {@code KllSketch.getNormalizedRankError(k, false)} (1.33% for k = 200) with 99% confidence.
   */
  public double quantile(int c, double rank) {
    if (!(rank >= 0 && rank <= 1)) {
      throw new IllegalArgumentException("channel sketches: a rank is in [0, 1], got " + rank);
    }
    flush();
    KllDoublesSketch sketch = sketches[c];
    if (sketch.isEmpty()) {
      return Double.NaN;
    }
    // The exact min and max: the sketch's own may lie inside them (KllFeeder keeps 1 value in 8 of a run).
    return rank == 0 ? min[c] : rank == 1 ? max[c] : sketch.getQuantile(rank, QuantileSearchCriteria.INCLUSIVE);
  }

  /**
   * KLL's normalized rank error at this k for ranks compared or differenced, as in histograms
   * (99% confidence; 0.0165 for k = 200): a bin's count is within twice this times the count.
   */
  public double rankError() {
    return KllDoublesSketch.getNormalizedRankError(k, true);
  }

  /**
   * A copy of channel c's KLL sketch. Its own min and max item may lie inside {@link #min} and
   * {@link #max}, which are exact.
   */
  public KllDoublesSketch sketch(int c) {
    flush();
    return KllDoublesSketch.heapify(Memory.wrap(sketches[c].toByteArray()));
  }

  /** The histogram of channel c over [min, max] in equal bins (one bin if all values are equal). */
  public SketchHistogram histogram(int c, int bins) {
    if (bins < 1) {
      throw new IllegalArgumentException("channel sketches: a histogram needs bins >= 1, got " + bins);
    }
    flush();
    return moments[c].n() == 0 ? SketchHistogram.empty() : histogram(c, bins, min[c], max[c]);
  }

  /**
   * The histogram of channel c's values mapped by y = a x + b, over [min y, max y] (batch norm's
   * output: a = weight / sqrt(var + eps), b = bias - mean a). See {@link SketchHistogram#mapped}.
   */
  public SketchHistogram mappedHistogram(int c, int bins, double a, double b) {
    return histogram(c, bins).mapped(a, b);
  }

  /**
   * The histogram of channel c over [lo, hi] in equal bins; values outside are counted in below
   * and above. Fewer bins than asked when the range is too narrow for distinct double edges.
   */
  public SketchHistogram histogram(int c, int bins, double lo, double hi) {
    if (bins < 1 || !(lo <= hi) || !Double.isFinite(lo) || !Double.isFinite(hi)) {
      throw new IllegalArgumentException(
          "channel sketches: a histogram needs bins >= 1 and finite lo <= hi, got " + bins + " bins over [" + lo + ", "
              + hi + "]");
    }
    flush();
    return SketchHistogram.of(sketches[c], bins, lo, hi);
  }

  /** All of channel c's results at once, for the report. */
  public ChannelSummary summary(int c) {
    CentralMoments m = moments(c);
    return new ChannelSummary(c, count, m.n(), nans[c], infinities[c], zeros[c], min(c), max(c), m.mean(),
        m.variance(), m.skewness(), m.kurtosis(), quantile(c, 0.001), quantile(c, 0.01), quantile(c, 0.5),
        quantile(c, 0.99), quantile(c, 0.999));
  }

  /** Java serialization writes {@link #toBytes()}'s form (the KLL sketches are not Serializable). */
  private Object writeReplace() {
    return new ChannelSketchesCodec.Serialized(toBytes());
  }

  private void readObject(java.io.ObjectInputStream in) throws java.io.InvalidObjectException {
    throw new java.io.InvalidObjectException("channel sketches are serialized as their bytes");
  }
}
