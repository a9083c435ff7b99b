package io.sparknorm.core;

import java.util.Arrays;

/**
 * The staging step of {@link ExactMoments}. Adding to the exact sums' digits costs a few dozen
 * integer operations a value (shifting the mantissa to its place, splitting it over digits), so
 * values first go to per-channel buckets, one per binary exponent in a window of {@value #WINDOW}
 * exponents: bucket (c, e)
 * holds, as longs, the sum of the signed mantissas of channel c's values with exponent e, and the
 * sum of their squared mantissas, exact integers (the bucket's exponent gives their weight). That
 * is a bucket index, a mask or two, a multiply and two or three integer additions a value. Before
 * a bucket could overflow, and whenever the state is read, merged or written, the buckets are
 * flushed into the exact sums.
 *
 * <p>Two encodings, by the input type (a state fed both flushes when the type changes):
 * <pre>
 *   double: exponent field e in [1, 2046], mantissa m < 2^53 with its hidden bit. Slot 0:
 *           sum of +-m (|.| < 2^53, so 1024 values fit a long); slots 1 and 2: the sums of
 *           m^2 mod 2^53 and of m^2 / 2^53 (both below 2^53).
 *   float:  exponent field e in [1, 254], m < 2^24. Slot 0: sum of +-m; slot 1: sum of m^2
 *           (< 2^48: 32768 values fit).
 * </pre>
 * Values outside a channel's window (zeros, subnormals, NaN, infinities, and magnitudes below
 * the window) go straight to the exact sums; a value above the window flushes the channel's
 * buckets and moves the window up, so its top stays just above the largest magnitude seen.
 *
 * <p>Not thread-safe; the owner reads its sums only after {@link #flushAll()}.
 */
final class MomentsStage implements SampleStage {
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
  /** The owner's exact sums (the arrays are shared: their elements may be replaced). */
  private final ExactSum[] sums;
  private final ExactSum[] squares;
  /** channels x WINDOW x SLOTS longs, allocated on the first update; null when not updating. */
  private long[] stage;
  /** Per channel: the exponent of bucket 0 (below every exponent before the first value). */
  private int[] lowest;
  /** NONE, DOUBLE or FLOAT: the encoding of what is staged. */
  private int kind;
  /** Values per channel in the buckets since the last flush (whole samples). */
  private int staged;
  /** Per channel: values staged one at a time ({@link #add}) since the channel's last flush. */
  private int[] single;
  /** One sample of several handed over together, copied out of their array (made on first use). */
  private double[] sampleOfDoubles;
  private float[] sampleOfFloats;

  MomentsStage(Shape shape, ExactSum[] sums, ExactSum[] squares) {
    this.shape = shape;
    this.sums = sums;
    this.squares = squares;
  }

  @Override
  public void update(double[] sample) {
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
  }

  @Override
  public void update(float[] sample) {
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
  }

  /** A sample at a time, through one reused array. */
  @Override
  public void update(double[] values, int from, int samples, int size) {
    if (sampleOfDoubles == null) {
      sampleOfDoubles = new double[size];
    }
    for (int s = 0, o = from; s < samples; s++, o += size) {
      System.arraycopy(values, o, sampleOfDoubles, 0, size);
      update(sampleOfDoubles);
    }
  }

  @Override
  public void update(float[] values, int from, int samples, int size) {
    if (sampleOfFloats == null) {
      sampleOfFloats = new float[size];
    }
    for (int s = 0, o = from; s < samples; s++, o += size) {
      System.arraycopy(values, o, sampleOfFloats, 0, size);
      update(sampleOfFloats);
    }
  }

  /**
   * Stages one value of channel c, any double. For {@link VectorMomentsStage}, which hands on what
   * its grids do not hold; a stage is fed either this way or whole samples, never both.
   */
  void add(int c, double x) {
    prepare(DOUBLE);
    if (single == null) {
      single = new int[sums.length];
    }
    long bits = Double.doubleToRawLongBits(x);
    int j = ((int) (bits >>> 52) & 0x7FF) - lowest[c];
    if ((j & -WINDOW) != 0) {
      missed(c, bits); // may flush the channel, which restarts its count
    } else {
      stageDouble(stage, (c * WINDOW + j) * SLOTS, bits);
    }
    if (++single[c] >= DOUBLE_CAPACITY) {
      flush(c);
    }
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
   * the caller handles it (missed) and resumes after it: with the call to missed inside the loop
   * the JIT compiled it to slower code (values kept on the stack around the call).
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
    if (single != null) {
      single[c] = 0;
    }
  }

  @Override
  public void flushAll() {
    if (kind == NONE) {
      return;
    }
    for (int c = 0; c < sums.length; c++) {
      flush(c);
    }
    staged = 0;
  }
}
