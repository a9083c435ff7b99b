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
import java.util.Arrays;

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
 * <p>The update costs a handful of integer operations per value and allocates nothing: each value
 * is added, as integers, to a bucket for its binary exponent (its signed mantissa, and its squared
 * mantissa), and the buckets go into the exact sums every 1,024 values (32,768 for float input)
 * and whenever the state is read, merged or written. The rational arithmetic (BigInteger) is per
 * channel, in {@link #statistics()}, never per value.
 *
 * <p>Memory: the exact sums take about 10 longs a channel for data of one magnitude (more for data
 * spanning many orders of magnitude); while a state is being updated, its buckets take 48 longs
 * (384 bytes) a channel more. A state that is only merged or read back from bytes has no buckets.
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

  /*
   * The staging buffer. Adding to the exact sums' digits costs a few dozen integer operations a
   * value (shifting the mantissa to its place, splitting it over digits), so values first go to
   * per-channel buckets, one per binary exponent in a window of WINDOW exponents: bucket (c, e)
   * holds, as longs, the sum of the signed mantissas of channel c's values with exponent e, and the
   * sum of their squared mantissas, exact integers (the bucket's exponent gives their weight). That
   * is a bucket index, a mask or two, a multiply and two or three integer additions a value. Before
   * a bucket could overflow, and whenever the state is read, merged or written, the buckets are
   * flushed into the exact sums.
   *
   * Two encodings, by the input type (a state fed both flushes when the type changes):
   *   double: exponent field e in [1, 2046], mantissa m < 2^53 with its hidden bit. Slot 0:
   *           sum of +-m (|.| < 2^53, so 1024 values fit a long); slots 1 and 2: the sums of
   *           m^2 mod 2^53 and of m^2 / 2^53 (both below 2^53).
   *   float:  exponent field e in [1, 254], m < 2^24. Slot 0: sum of +-m; slot 1: sum of m^2
   *           (< 2^48: 32768 values fit).
   * Values outside a channel's window (zeros, subnormals, NaN, infinities, and magnitudes below
   * the window) go straight to the exact sums; a value above the window flushes the channel's
   * buckets and moves the window up, so its top stays just above the largest magnitude seen.
   */
  private static final int WINDOW = 16;
  private static final int SLOTS = 3;
  /** The window's top is this many exponents above the largest value's when it moves. */
  private static final int HEADROOM = 1;
  private static final int NONE = 0;
  private static final int DOUBLE = 1;
  private static final int FLOAT = 2;
  private static final int DOUBLE_CAPACITY = 1024;
  private static final int FLOAT_CAPACITY = 32768;

  private final Shape shape;
  private long count;
  /** Per channel: the exact sum of the values (apart from what is staged). */
  private final ExactSum[] sums;
  /** Per channel: the exact sum of the squares of the values (apart from what is staged). */
  private final ExactSum[] squares;

  /** channels x WINDOW x SLOTS longs, allocated on the first update; null when not updating. */
  private transient long[] stage;
  /** Per channel: the exponent of bucket 0 (below every exponent before the first value). */
  private transient int[] lowest;
  /** NONE, DOUBLE or FLOAT: the encoding of what is staged. */
  private transient int kind;
  /** Values per channel in the buckets since the last flush. */
  private transient int staged;

  /** Empty moments for samples of this shape. */
  public ExactMoments(Shape shape) {
    this.shape = shape;
    int channels = shape.channels();
    this.sums = new ExactSum[channels];
    this.squares = new ExactSum[channels];
    for (int c = 0; c < channels; c++) {
      sums[c] = new ExactSum();
      squares[c] = new ExactSum();
    }
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
    prepare(DOUBLE);
    int spatial = shape.spatialSize();
    if (spatial == 1) {
      if (staged >= DOUBLE_CAPACITY) {
        flushAll();
      }
      stageRow(sample);
      staged++;
    } else {
      int after = staged;
      for (int c = 0, start = 0; c < sums.length; c++, start += spatial) {
        // Every channel takes the same values per sample, so all reach the capacity together.
        int p = staged;
        int end = start + spatial;
        for (int i = start; i < end; ) {
          if (p >= DOUBLE_CAPACITY) {
            flush(c);
            p = 0;
          }
          int stop = Math.min(end, i + (DOUBLE_CAPACITY - p));
          p += stop - i;
          stageRange(c, sample, i, stop);
          i = stop;
        }
        after = p;
      }
      staged = after;
    }
    count += spatial;
    return this;
  }

  /** Folds one flat sample of {@link #shape()} in; the values and their squares are exact. */
  public ExactMoments update(float[] sample) {
    shape.checkLength(sample.length);
    prepare(FLOAT);
    int spatial = shape.spatialSize();
    if (spatial == 1) {
      if (staged >= FLOAT_CAPACITY) {
        flushAll();
      }
      stageRow(sample);
      staged++;
    } else {
      int after = staged;
      for (int c = 0, start = 0; c < sums.length; c++, start += spatial) {
        int p = staged;
        int end = start + spatial;
        for (int i = start; i < end; ) {
          if (p >= FLOAT_CAPACITY) {
            flush(c);
            p = 0;
          }
          int stop = Math.min(end, i + (FLOAT_CAPACITY - p));
          p += stop - i;
          stageRange(c, sample, i, stop);
          i = stop;
        }
        after = p;
      }
      staged = after;
    }
    count += spatial;
    return this;
  }

  /** Makes the buckets take the wanted encoding, flushing what another one staged. */
  private void prepare(int wanted) {
    if (kind == wanted) {
      return;
    }
    flushAll();
    if (stage == null) {
      stage = new long[sums.length * WINDOW * SLOTS];
      lowest = new int[sums.length];
    }
    // Every exponent lies above this window: a channel's first value places it.
    Arrays.fill(lowest, -WINDOW);
    kind = wanted;
    staged = 0;
  }

  /*
   * The loops that stage values stop at the first value outside its window and return its index;
   * the caller handles it (missed) and resumes after it. With the call to missed inside the loop
   * the JIT compiled it to slower code (values kept on the stack around the call): 5.3 against
   * 3.9 ns a value on rows of 64 floats.
   */

  /** One value per channel (S = 1): channel c gets row[c]. */
  private void stageRow(double[] row) {
    for (int c = stageRowUntilMiss(row, 0); c < row.length; c = stageRowUntilMiss(row, c + 1)) {
      missed(c, Double.doubleToRawLongBits(row[c]));
    }
  }

  /** Stages row[c] for c = from, from + 1, ... up to the first miss; returns its index or row.length. */
  private int stageRowUntilMiss(double[] row, int from) {
    long[] st = stage;
    int[] low = lowest;
    for (int c = from; c < row.length; c++) {
      long bits = Double.doubleToRawLongBits(row[c]);
      int j = ((int) (bits >>> 52) & 0x7FF) - low[c];
      if ((j & -WINDOW) != 0) { // outside [0, WINDOW)
        return c;
      }
      stageDouble(st, (c * WINDOW + j) * SLOTS, bits);
    }
    return row.length;
  }

  /** Values [from, to) of channel c. */
  private void stageRange(int c, double[] values, int from, int to) {
    for (int i = stageRangeUntilMiss(c, values, from, to); i < to; i = stageRangeUntilMiss(c, values, i + 1, to)) {
      missed(c, Double.doubleToRawLongBits(values[i]));
    }
  }

  /** Stages values [from, to) of channel c up to the first miss; returns its index or to. */
  private int stageRangeUntilMiss(int c, double[] values, int from, int to) {
    long[] st = stage;
    int low = lowest[c];
    int offset = c * WINDOW * SLOTS;
    for (int i = from; i < to; i++) {
      long bits = Double.doubleToRawLongBits(values[i]);
      int j = ((int) (bits >>> 52) & 0x7FF) - low;
      if ((j & -WINDOW) != 0) {
        return i;
      }
      stageDouble(st, offset + j * SLOTS, bits);
    }
    return to;
  }

  /** Adds a normal double to the bucket at st[o]: its signed mantissa, and its squared mantissa in two parts. */
  private static void stageDouble(long[] st, int o, long bits) {
    long m = ((bits << 11) | Long.MIN_VALUE) >>> 11; // the fraction and the hidden bit (a normal double)
    long sign = bits >> 63;
    st[o] += (m ^ sign) - sign;
    long low = m * m;
    long high = Math.multiplyHigh(m, m);
    st[o + 1] += (low << 11) >>> 11; // m^2 mod 2^53
    st[o + 2] += (high << 11) | (low >>> 53); // m^2 / 2^53
  }

  /** A double outside channel c's window. */
  private void missed(int c, long bits) {
    int e = (int) (bits >>> 52) & 0x7FF;
    if (e == 0 || e == 0x7FF || e < lowest[c]) {
      // Zero (nothing to add), subnormal, NaN, infinity, or small: straight to the exact sums.
      if ((bits << 1) != 0) {
        double x = Double.longBitsToDouble(bits);
        sums[c].add(x);
        squares[c].addSquare(x);
      }
      return;
    }
    // Above the window: flush the buckets and move the window up to just above this value.
    flush(c);
    lowest[c] = Math.max(1, Math.min(e + HEADROOM, 2046) - (WINDOW - 1));
    stageDouble(stage, (c * WINDOW + e - lowest[c]) * SLOTS, bits);
  }

  /** One value per channel (S = 1): channel c gets row[c]. */
  private void stageRow(float[] row) {
    for (int c = stageRowUntilMiss(row, 0); c < row.length; c = stageRowUntilMiss(row, c + 1)) {
      missed(c, Float.floatToRawIntBits(row[c]));
    }
  }

  /** Stages row[c] for c = from, from + 1, ... up to the first miss; returns its index or row.length. */
  private int stageRowUntilMiss(float[] row, int from) {
    long[] st = stage;
    int[] low = lowest;
    for (int c = from; c < row.length; c++) {
      int bits = Float.floatToRawIntBits(row[c]);
      int j = ((bits >>> 23) & 0xFF) - low[c];
      if ((j & -WINDOW) != 0) {
        return c;
      }
      stageFloat(st, (c * WINDOW + j) * SLOTS, bits);
    }
    return row.length;
  }

  /** Values [from, to) of channel c. */
  private void stageRange(int c, float[] values, int from, int to) {
    for (int i = stageRangeUntilMiss(c, values, from, to); i < to; i = stageRangeUntilMiss(c, values, i + 1, to)) {
      missed(c, Float.floatToRawIntBits(values[i]));
    }
  }

  /** Stages values [from, to) of channel c up to the first miss; returns its index or to. */
  private int stageRangeUntilMiss(int c, float[] values, int from, int to) {
    long[] st = stage;
    int low = lowest[c];
    int offset = c * WINDOW * SLOTS;
    for (int i = from; i < to; i++) {
      int bits = Float.floatToRawIntBits(values[i]);
      int j = ((bits >>> 23) & 0xFF) - low;
      if ((j & -WINDOW) != 0) {
        return i;
      }
      stageFloat(st, offset + j * SLOTS, bits);
    }
    return to;
  }

  /** Adds a normal float to the bucket at st[o]: its signed mantissa and its squared mantissa. */
  private static void stageFloat(long[] st, int o, int bits) {
    int m = (bits & 0x7F_FFFF) | 0x80_0000;
    int sign = bits >> 31;
    st[o] += (m ^ sign) - sign;
    st[o + 1] += (long) m * m;
  }

  /** A float outside channel c's window. */
  private void missed(int c, int bits) {
    int e = (bits >>> 23) & 0xFF;
    if (e == 0 || e == 0xFF || e < lowest[c]) {
      if ((bits << 1) != 0) {
        double x = Float.intBitsToFloat(bits);
        sums[c].add(x);
        squares[c].addSquare(x);
      }
      return;
    }
    flush(c);
    lowest[c] = Math.max(1, Math.min(e + HEADROOM, 254) - (WINDOW - 1));
    stageFloat(stage, (c * WINDOW + e - lowest[c]) * SLOTS, bits);
  }

  /** Moves channel c's buckets into its exact sums and empties them. */
  private void flush(int c) {
    long[] st = stage;
    ExactSum s = sums[c];
    ExactSum q = squares[c];
    int low = lowest[c];
    for (int j = 0, o = c * WINDOW * SLOTS; j < WINDOW; j++, o += SLOTS) {
      long m = st[o];
      long squareLow = st[o + 1];
      long squareHigh = st[o + 2];
      if ((m | squareLow | squareHigh) == 0) {
        continue;
      }
      int e = low + j;
      if (kind == DOUBLE) {
        // A value is m 2^(e - 1075), its square m^2 2^(2e - 2150).
        s.addScaled(m, e + ExactSum.VALUE_POSITION);
        q.addScaled(squareLow, 2 * e + ExactSum.SQUARE_POSITION);
        q.addScaled(squareHigh, 2 * e + ExactSum.SQUARE_POSITION + 53);
      } else {
        // A float is m 2^(e - 150), its square m^2 2^(2e - 300).
        s.addScaled(m, e - 150 + ExactSum.GRID_BIAS);
        q.addScaled(squareLow, 2 * e - 300 + ExactSum.GRID_BIAS);
      }
      st[o] = 0;
      st[o + 1] = 0;
      st[o + 2] = 0;
    }
  }

  /** Moves every bucket into the exact sums. */
  private void flushAll() {
    if (kind == NONE) {
      return;
    }
    for (int c = 0; c < sums.length; c++) {
      flush(c);
    }
    staged = 0;
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
   * @throws IllegalArgumentException when a channel has seen at most one value, where PyTorch
   *     raises "Expected more than 1 value per channel when training" (the message is
   *     {@link ChannelMoments#statistics()}'s); when a channel saw NaN or an infinity; when a
   *     variance is beyond the double range (values more than about 1.3e154 apart)
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
      throw new IllegalArgumentException(
          "batch norm needs more than 1 value per channel, got " + count + " (samples x spatial size) for shape " + shape);
    }
    flushAll();
    int channels = sums.length;
    for (int c = 0; c < channels; c++) {
      if (!sums[c].isFinite()) {
        throw new IllegalArgumentException("batch norm statistics: channel " + c + " of shape " + shape + " saw "
            + sums[c].describeNonFinite() + "; the values must be finite");
      }
    }
    int[] exponent = new int[1];
    // k = km * 2^ke with km odd (1 and 0 for scale 1).
    BigInteger km = ExactMath.exact(scale, exponent);
    int ke = exponent[0] + km.getLowestSetBit();
    km = km.shiftRight(km.getLowestSetBit());
    String divided = scale == 1.0 ? "" : " divided by " + scale;
    BigInteger n = BigInteger.valueOf(count);
    BigInteger nk = n.multiply(km);
    BigInteger kSquared = km.multiply(km);
    BigInteger nSquared = n.multiply(n).multiply(kSquared);
    BigInteger nTimesNMinus1 = n.multiply(BigInteger.valueOf(count - 1)).multiply(kSquared);
    double[] mean = new double[channels];
    double[] residual = new double[channels];
    double[] variance = new double[channels];
    double[] unbiased = new double[channels];
    for (int c = 0; c < channels; c++) {
      // S = a * 2^as, Q = b * 2^bs.
      BigInteger a = sums[c].unscaled(exponent);
      int as = exponent[0];
      BigInteger b = squares[c].unscaled(exponent);
      int bs = exponent[0];

      mean[c] = ExactMath.toDouble(a, as - ke, nk);
      if (Double.isInfinite(mean[c])) {
        throw new IllegalArgumentException("batch norm statistics: the mean of channel " + c + " of shape " + shape
            + divided + " is beyond the double range (above " + Double.MAX_VALUE + ")");
      }
      // S / (n k) - mean = (a 2^as - n km m 2^(ms + ke)) / (n km 2^ke).
      BigInteger m = ExactMath.exact(mean[c], exponent);
      int ms = exponent[0] + ke;
      int low = Math.min(as, ms);
      BigInteger lost = a.shiftLeft(as - low).subtract(nk.multiply(m).shiftLeft(ms - low));
      residual[c] = ExactMath.toDouble(lost, low - ke, nk);

      // n Q - S^2 = n b 2^bs - a^2 2^(2 as), >= 0 (Cauchy-Schwarz).
      low = Math.min(bs, 2 * as);
      BigInteger spread = n.multiply(b).shiftLeft(bs - low).subtract(a.multiply(a).shiftLeft(2 * as - low));
      if (spread.signum() < 0) {
        throw new IllegalStateException("channel " + c + ": n Q - S^2 < 0 (a bug)");
      }
      variance[c] = ExactMath.toDouble(spread, low - 2 * ke, nSquared);
      unbiased[c] = ExactMath.toDouble(spread, low - 2 * ke, nTimesNMinus1);
      if (Double.isInfinite(variance[c])) {
        throw new IllegalArgumentException("batch norm statistics: the variance of channel " + c + " of shape " + shape
            + divided + " is beyond the double range (above " + Double.MAX_VALUE + "); the values are too far apart");
      }
    }
    return new BatchStatistics(shape, count, mean, residual, variance, unbiased, BatchStatistics.EXACT_SUMS);
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
