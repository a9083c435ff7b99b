package io.sparknorm.core;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.math.BigInteger;

/**
 * Mergeable per-channel batch statistics held exactly: the count, and per channel the exact sum S
 * of the values and the exact sum Q of their squares ({@link ExactSum}). Nothing is rounded until
 * {@link #statistics()}, so the statistics are the same bits whatever the partitioning, the row
 * order, the merge order, retries or lost executors, and each one is the exact value correctly
 * rounded to double (to nearest, ties to even):
 *
 * <ul>
 *   <li>mean = S / n;
 *   <li>meanResidual = S / n - mean, what the rounding of the mean lost;
 *   <li>variance = (n Q - S^2) / n^2 (no cancellation: n Q - S^2 is an exact integer times a
 *       power of two);
 *   <li>unbiasedVariance = (n Q - S^2) / (n (n - 1)).
 * </ul>
 *
 * <p>The update never rounds and, after the first, allocates nothing. Where the JVM has the Vector API (every Spark
 * driver and executor), each value is split on a per-channel grid into parts that add up in
 * doubles without rounding, a vector of values at a time ({@link VectorMomentsStage}); elsewhere,
 * and for what the grids do not hold, each value is added, as integers, to a bucket for its binary
 * exponent (its signed mantissa, and its squared mantissa: {@link MomentsStage}, several times
 * slower; also a JVM's first 2^26 values, while SIMD would still be warming up: {@link Simd}). Both go into the exact sums every few thousand values and whenever
 * the state is read, merged or written. The rational arithmetic (BigInteger) is per channel, in
 * {@link #statistics()}, never per value.
 *
 * <p>Memory: the exact sums take about 10 longs a channel for data of one magnitude (more for data
 * spanning many orders of magnitude); while a state is being updated, its staging step takes about
 * 30 doubles a channel more (SIMD: a block of 16 rows, the parts and the grids; 8 times the parts
 * and grids for samples with S &gt; 1), and its buckets 48 longs (384 bytes) a channel once a
 * value reaches them. A state that is only merged or read back from bytes has no staging step.
 *
 * <p><b>Non-finite values.</b> The job refuses or skips rows with NaN or infinite values before
 * they reach the statistics. Should one reach this state anyway, it is not summed but recorded per
 * channel (the count still counts it), and {@link #statistics()} throws an
 * {@link IllegalArgumentException} naming the first such channel and what it saw; merging keeps
 * the record, so the outcome does not depend on the order either.
 *
 * <p>Every sample adds S values to each channel, so one count serves all channels. Not thread-safe;
 * reading the state (statistics, sums, bytes, merging it into another) moves its buckets into its
 * sums, which changes no value.
 */
public final class ExactMoments implements Serializable {
  private static final long serialVersionUID = 1L;


  private final Shape shape;
  private long count;
  /** Per channel: the exact sum of the values (apart from what is staged). */
  private final ExactSum[] sums;
  /** Per channel: the exact sum of the squares of the values (apart from what is staged). */
  private final ExactSum[] squares;

  /** Values the buckets stage between reports to {@link Simd}. */
  private static final int REPORT_EVERY = 1 << 16;

  /** The staging step in front of the sums, made on the first update; null when not updating. */
  private transient SampleStage stage;
  /** Which staging step; null (as after deserialization) is ADAPTIVE. */
  private transient SampleStage.Choice choice;
  /** Values the buckets staged since the last report to {@link Simd}. */
  private transient int bucketed;

  /** Empty moments for samples of this shape. */
  public ExactMoments(Shape shape) {
    this(shape, SampleStage.Choice.ADAPTIVE);
  }

  /** Empty moments staging their samples as chosen (tests compare SIMD and buckets). */
  ExactMoments(Shape shape, SampleStage.Choice choice) {
    this.choice = choice;
    this.shape = shape;
    int channels = shape.channels();
    this.sums = new ExactSum[channels];
    this.squares = new ExactSum[channels];
    for (int c = 0; c < channels; c++) {
      sums[c] = new ExactSum();
      squares[c] = new ExactSum();
    }
  }

  /**
   * The moments of {@code count} values per channel whose mean is exactly {@code mean[c] +
   * meanResidual[c]} and whose variance is exactly {@code variance[c]}, taken as exact numbers: the
   * state that statistics read from a file stand for, to be merged with the moments of more values.
   * The sums are S = n m and Q = M2 + n m^2 with M2 = variance * (n - 1) for an unbiased variance,
   * variance * n for a biased one: products of doubles and integers, exact.
   *
   * @throws IllegalArgumentException when count is below 2, an array's length is not the channel
   *     count, or a value is not finite (or a variance negative)
   */
  public static ExactMoments ofStatistics(Shape shape, long count, double[] mean, double[] meanResidual,
      double[] variance, boolean unbiased) {
    int channels = shape.channels();
    if (count < 2) {
      throw new IllegalArgumentException("moments of statistics need a count of at least 2, got " + count);
    }
    if (mean.length != channels || meanResidual.length != channels || variance.length != channels) {
      throw new IllegalArgumentException("mean, mean residual and variance need " + channels + " values each");
    }
    ExactMoments moments = new ExactMoments(shape);
    moments.count = count;
    BigInteger n = BigInteger.valueOf(count);
    BigInteger m2Factor = BigInteger.valueOf(unbiased ? count - 1 : count);
    int[] e = new int[1];
    for (int c = 0; c < channels; c++) {
      if (!Double.isFinite(mean[c]) || !Double.isFinite(meanResidual[c]) || !(variance[c] >= 0)
          || Double.isInfinite(variance[c])) {
        throw new IllegalArgumentException("channel " + c + ": mean " + mean[c] + ", mean residual "
            + meanResidual[c] + " and variance " + variance[c] + " must be finite (the variance >= 0)");
      }
      // m = mean + residual = a * 2^ea, exactly.
      BigInteger a1 = ExactMath.exact(mean[c], e);
      int e1 = e[0];
      BigInteger a2 = ExactMath.exact(meanResidual[c], e);
      int e2 = e[0];
      int ea = Math.min(e1, e2);
      BigInteger a = a1.shiftLeft(e1 - ea).add(a2.shiftLeft(e2 - ea));
      BigInteger v = ExactMath.exact(variance[c], e);
      int ev = e[0];
      moments.sums[c].addExact(n.multiply(a), ea);
      // Q = M2 + n a^2 2^(2 ea).
      moments.squares[c].addExact(m2Factor.multiply(v), ev);
      moments.squares[c].addExact(n.multiply(a).multiply(a), 2 * ea);
    }
    return moments;
  }

  /** The shape of the samples these moments summarize. */
  public Shape shape() {
    return shape;
  }

  /** Values seen per channel: samples x S. */
  public long count() {
    return count;
  }

  /** A copy of channel c's exact sum of values. */
  public ExactSum sum(int channel) {
    flushAll();
    return sums[channel].copy();
  }

  /** A copy of channel c's exact sum of squares. */
  public ExactSum sumOfSquares(int channel) {
    flushAll();
    return squares[channel].copy();
  }

  /** Folds one flat sample of {@link #shape()} in. */
  public ExactMoments update(double[] sample) {
    shape.checkLength(sample.length);
    SampleStage st = stage();
    st.update(sample);
    staged(st, 1, sample.length);
    return this;
  }

  /** Folds one flat sample of {@link #shape()} in; the values and their squares are exact. */
  public ExactMoments update(float[] sample) {
    shape.checkLength(sample.length);
    SampleStage st = stage();
    st.update(sample);
    staged(st, 1, sample.length);
    return this;
  }

  /**
   * Folds one flat sample of integers in, each as the integer it is: a long beyond 2^53 has no
   * exact double, so these go straight into the exact sums, unstaged. Integers that doubles hold
   * exactly are cheaper through {@link #update(double[])}.
   */
  public ExactMoments update(long[] sample) {
    shape.checkLength(sample.length);
    int spatial = shape.spatialSize();
    for (int c = 0, i = 0; c < sums.length; c++) {
      ExactSum sum = sums[c];
      ExactSum square = squares[c];
      for (int end = i + spatial; i < end; i++) {
        sum.addInteger(sample[i]);
        square.addSquareOfInteger(sample[i]);
      }
    }
    count += spatial;
    return this;
  }

  /**
   * Folds {@code samples} flat samples of {@link #shape()} in, laid out one after another from
   * values[from] (a column batch's tensors, read at once): the same state as one update a sample,
   * with no copy of each sample where the stage reads them in place.
   */
  public ExactMoments update(double[] values, int from, int samples) {
    int size = checkRange(values.length, from, samples);
    SampleStage st = stage();
    st.update(values, from, samples, size);
    staged(st, samples, samples * size);
    return this;
  }

  /** {@link #update(double[], int, int)} for float values, each exactly as a double. */
  public ExactMoments update(float[] values, int from, int samples) {
    int size = checkRange(values.length, from, samples);
    SampleStage st = stage();
    st.update(values, from, samples, size);
    staged(st, samples, samples * size);
    return this;
  }

  /** The sample size, once samples of it from {@code from} are known to fit in {@code length} values. */
  private int checkRange(int length, int from, int samples) {
    int size = shape.size();
    if (from < 0 || samples < 0 || (long) samples * size > length - from) {
      throw new IllegalArgumentException(samples + " samples of " + size + " values from index " + from
          + " do not fit in " + length + " values");
    }
    return size;
  }

  private SampleStage stage() {
    if (stage == null) {
      stage = SampleStage.of(shape, sums, squares, choice());
    }
    return stage;
  }

  /** Whether samples are now staged with SIMD (tests). */
  boolean stagesWithSimd() {
    return stage != null && !(stage instanceof MomentsStage);
  }

  private SampleStage.Choice choice() {
    return choice == null ? SampleStage.Choice.ADAPTIVE : choice;
  }

  /**
   * After samples of {@code values} in all went into {@code st}: counts them; moves an adaptive
   * state to SIMD once it pays.
   */
  private void staged(SampleStage st, int samples, int values) {
    count += (long) samples * shape.spatialSize();
    if (!(st instanceof MomentsStage) || choice() != SampleStage.Choice.ADAPTIVE) {
      return;
    }
    bucketed += values;
    if (bucketed < REPORT_EVERY) {
      return;
    }
    Simd.bucketed(bucketed);
    bucketed = 0;
    if (Simd.pays()) {
      SampleStage next = SampleStage.of(shape, sums, squares, SampleStage.Choice.ADAPTIVE);
      if (next instanceof VectorMomentsStage) {
        stage.flushAll(); // the sums are shared: the new stage starts from what the buckets held
        stage = next;
      }
    }
  }

  /** Moves whatever is staged into the exact sums. */
  private void flushAll() {
    if (stage != null) {
      stage.flushAll();
    }
  }

  private void writeObject(ObjectOutputStream out) throws IOException {
    flushAll();
    out.defaultWriteObject();
  }

  /**
   * Adds another part's moments into these, exactly; the other's value is unchanged.
   *
   * @throws IllegalArgumentException when the shapes differ
   */
  public ExactMoments merge(ExactMoments other) {
    if (!shape.equals(other.shape)) {
      throw new IllegalArgumentException("cannot merge moments of shape " + other.shape + " into moments of shape " + shape);
    }
    if (other == this) {
      return merge(copy());
    }
    flushAll();
    other.flushAll();
    for (int c = 0; c < sums.length; c++) {
      sums[c].add(other.sums[c]);
      squares[c].add(other.squares[c]);
    }
    count += other.count;
    return this;
  }

  /** An independent copy. */
  public ExactMoments copy() {
    flushAll();
    ExactMoments copy = new ExactMoments(shape);
    copy.count = count;
    for (int c = 0; c < sums.length; c++) {
      copy.sums[c] = sums[c].copy();
      copy.squares[c] = squares[c].copy();
    }
    return copy;
  }

  /**
   * The statistics that batch norm normalizes with, each the exact value correctly rounded.
   *
   * @throws StatisticsException when a channel has seen at most one value, where PyTorch
   *     raises "Expected more than 1 value per channel when training"; when a channel saw NaN or
   *     an infinity; when a variance is beyond the double range (values more than about 1.3e154
   *     apart)
   */
  public BatchStatistics statistics() {
    return statistics(1.0);
  }

  /**
   * The statistics of the values divided by {@code scale} (255 turns 8-bit pixels into 0..1), each
   * the exact value correctly rounded, with k = scale: mean = S / (n k), meanResidual = S / (n k)
   * - mean, variance = (n Q - S^2) / (n^2 k^2), unbiasedVariance = (n Q - S^2) / (n (n - 1) k^2).
   * Nothing is divided value by value: k is a double, an exact integer times a power of two, so
   * these are exact rationals, rounded once. {@code statistics(1.0)} is {@link #statistics()}.
   *
   * @throws IllegalArgumentException when scale is not a finite number > 0; as {@link
   *     #statistics()}; when a mean or a variance of the divided values is beyond the double range
   */
  public BatchStatistics statistics(double scale) {
    if (!(scale > 0 && scale < Double.POSITIVE_INFINITY)) {
      throw new IllegalArgumentException("scale is " + scale + ", must be a finite number > 0");
    }
    if (count <= 1) {
      throw StatisticsException.tooFewValues(count,
          "batch norm needs more than 1 value per channel, got " + count + " (samples x spatial size) for shape " + shape);
    }
    flushAll();
    int channels = sums.length;
    for (int c = 0; c < channels; c++) {
      if (!sums[c].isFinite()) {
        throw new StatisticsException(NormalizationException.Rule.NOT_FINITE, sums[c].describeNonFinite(), c,
            "batch norm statistics: channel " + c + " of shape " + shape + " saw " + sums[c].describeNonFinite()
            + "; the values must be finite");
      }
    }
    return ExactStatistics.of(shape, count, sums, squares, scale);
  }

  /**
   * Writes the state: the count, then per channel the sum and the sum of squares in
   * {@link ExactSum#writeTo}'s form (5 bytes and 4 bytes a 32-bit digit each). Equal states write
   * equal bytes. {@link #readFrom} reads it back.
   */
  public void writeTo(DataOutput out) throws IOException {
    flushAll();
    out.writeLong(count);
    for (int c = 0; c < sums.length; c++) {
      sums[c].writeTo(out);
      squares[c].writeTo(out);
    }
  }

  /** Reads a state written by {@link #writeTo} for samples of this shape. */
  public static ExactMoments readFrom(DataInput in, Shape shape) throws IOException {
    ExactMoments moments = new ExactMoments(shape);
    moments.count = in.readLong();
    if (moments.count < 0) {
      throw new IOException("not exact moments: count " + moments.count);
    }
    for (int c = 0; c < moments.sums.length; c++) {
      moments.sums[c] = ExactSum.readFrom(in);
      moments.squares[c] = ExactSum.readFrom(in);
    }
    return moments;
  }

  /**
   * The state with its shape, as bytes ({@link #fromBytes} reads them): the rank and dimensions
   * (ints), then {@link #writeTo}'s form. An engine ships partial states as bytes; this form needs
   * no class loading to read.
   */
  public byte[] toBytes() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 + 64 * sums.length);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      int[] dims = shape.dims();
      out.writeInt(dims.length);
      for (int d : dims) {
        out.writeInt(d);
      }
      writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * Reads the form of {@link #toBytes()}.
   *
   * @throws IllegalArgumentException when the bytes are not such a form
   */
  public static ExactMoments fromBytes(byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      int rank = in.readInt();
      if (rank <= 0 || rank > 64) {
        throw new IllegalArgumentException("not exact moments: rank " + rank);
      }
      int[] dims = new int[rank];
      for (int i = 0; i < rank; i++) {
        dims[i] = in.readInt();
      }
      Shape shape = Shape.of(dims);
      // Each channel takes at least 10 bytes: refuse a shape the bytes cannot hold before allocating.
      if ((long) shape.channels() * 10 > bytes.length) {
        throw new IllegalArgumentException("not exact moments: " + bytes.length + " bytes cannot hold shape " + shape);
      }
      ExactMoments moments = readFrom(in, shape);
      if (in.read() != -1) {
        throw new IllegalArgumentException("not exact moments: bytes after the state");
      }
      return moments;
    } catch (IOException e) {
      throw new IllegalArgumentException("not exact moments: " + e.getMessage(), e);
    }
  }
}
