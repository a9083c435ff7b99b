package io.sparknorm.core;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SIMD staging step of {@link ExactMoments}, used where the JVM has the Vector API (Spark's
 * launcher adds {@code --add-modules=jdk.incubator.vector} to every driver and executor); {@link
 * MomentsStage} alone serves elsewhere. Floating-point additions that provably never round, so the
 * sums stay exact and the statistics the same bits as without it.
 *
 * <p>Each channel has a grid: a top E with every staged |x| in [2^(E-14), 2^E) (zero also fits).
 * Such an x is split without error into parts that add up in doubles without rounding, 4,096 to a
 * lane between flushes (the bounds below); constants M = 1.5 * 2^(k + 52) round a part onto the
 * grid 2^k in two additions, h = (v + M) - M, and v - h is exact:
 * <pre>
 *   x       = h1 + l1   h1 on 2^(E-39), |h1| &lt;= 2^E;        l1 on 2^(E-66) (ulp of the smallest x)
 *   x*x     = hi + lo   hi = fl(x*x), lo = fma(x, x, -hi), exactly
 *   hi      = h2 + l2   h2 on 2^(2E-39), |h2| &lt;= 2^(2E);    l2 on 2^(2E-80), |l2| &lt;= 2^(2E-40)
 *   lo      = h3 + l3   h3 on 2^(2E-92), |h3| &lt;= 2^(2E-53); l3 on 2^(2E-132), |l3| &lt;= 2^(2E-93)
 * </pre>
 * 4,096 parts of each kind stay below 2^53 units of their grid (the tightest, l2: 2^12 * 2^(2E-40)
 * = 2^(2E-28) against 2^(2E-80+53) = 2^(2E-27)), so each lane's six sums are exact doubles; a
 * flush adds them to the exact sums. {@code ExactMomentsVectorTest} holds values at the edges of
 * the grid to these bounds.
 *
 * <p>Lanes: for samples with one value a channel (S = 1) a vector holds consecutive channels, and
 * rows are staged in blocks of {@value #BLOCK} so the sums stay in registers along a block; for S
 * &gt; 1 a vector holds consecutive values of one channel, read in place. Values off their grid
 * (too small, too large, subnormal, NaN, infinite), the tail of a channel shorter than a vector,
 * and the first values of a channel go to {@link MomentsStage} one by one, which takes any double
 * exactly. After each block a channel with misses has its grid moved to where most of them were.
 *
 * <p>Not thread-safe; the owner reads its sums only after {@link #flushAll()}.
 */
final class VectorMomentsStage implements SampleStage {
  private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
  static final int LANES = SPECIES.length();
  private static final int CAPACITY = 4096;
  private static final int BLOCK = 16;
  private static final int PARTS = 6;
  /** Binades a grid holds below its top. */
  private static final int WINDOW = 14;
  /** Tops whose grids and constants stay within the double range (2^(2E-132) >= 2^-1074, 2^(2E+14) finite). */
  private static final int MIN_TOP = -460;
  private static final int MAX_TOP = 500;
  private static final int NO_GRID = Integer.MIN_VALUE;

  private final int channels;
  private final int spatial;
  private final boolean rows;
  private final ExactSum[] sums;
  private final ExactSum[] squares;
  private final MomentsStage misses;

  /** Per lane of each slot (a slot: a vector of channels for S = 1, a channel for S > 1): the grid constants. */
  private final double[] split1;
  private final double[] split2;
  private final double[] split3;
  private final double[] lowest;
  private final double[] highest;
  /** Per slot, part, lane: the six exact partial sums. */
  private final double[] parts;
  /** Per channel: the grid's top E, or NO_GRID. */
  private final int[] top;
  /** Per channel, since the last placement: misses above and below the grid, and their largest magnitudes. */
  private final int[] above;
  private final int[] below;
  private final double[] aboveMax;
  private final double[] belowMax;
  /** Channels with misses since the last placement. */
  private final int[] missedChannels;
  private int missedCount;

  /** S = 1: rows staged (BLOCK x channels) and per-lane adds since the last flush. */
  private double[] block;
  private int blockRows;
  private int adds;
  /** S > 1: per channel, per-lane adds since its last flush; a scratch for float input. */
  private int[] channelAdds;
  private double[] scratch;

  /** Whether this stage serves samples of the shape (else {@link MomentsStage} alone does). */
  static boolean serves(Shape shape) {
    return shape.spatialSize() == 1 ? shape.channels() % LANES == 0 : shape.spatialSize() >= LANES;
  }

  VectorMomentsStage(Shape shape, ExactSum[] sums, ExactSum[] squares) {
    this.channels = shape.channels();
    this.spatial = shape.spatialSize();
    this.rows = spatial == 1;
    this.sums = sums;
    this.squares = squares;
    this.misses = new MomentsStage(shape, sums, squares);
    int lanes = rows ? channels : channels * LANES;
    split1 = new double[lanes];
    split2 = new double[lanes];
    split3 = new double[lanes];
    lowest = new double[lanes];
    highest = new double[lanes];
    parts = new double[lanes * PARTS];
    top = new int[channels];
    above = new int[channels];
    below = new int[channels];
    aboveMax = new double[channels];
    belowMax = new double[channels];
    missedChannels = new int[channels];
    for (int c = 0; c < channels; c++) {
      setGrid(c, NO_GRID);
    }
    if (rows) {
      block = new double[BLOCK * channels];
    } else {
      channelAdds = new int[channels];
    }
  }

  @Override
  public void update(double[] sample) {
    if (rows) {
      System.arraycopy(sample, 0, block, blockRows * channels, channels);
      if (++blockRows == BLOCK) {
        runBlock();
      }
      return;
    }
    for (int c = 0, start = 0; c < channels; c++, start += spatial) {
      stageChannel(c, sample, start, spatial);
      placeGrids(spatial);
    }
  }

  @Override
  public void update(float[] sample) {
    if (rows) {
      double[] b = block;
      for (int c = 0, o = blockRows * channels; c < channels; c++) {
        b[o + c] = sample[c];
      }
      if (++blockRows == BLOCK) {
        runBlock();
      }
      return;
    }
    if (scratch == null) {
      scratch = new double[Math.min(spatial, CAPACITY * LANES)];
    }
    double[] s = scratch;
    for (int c = 0, start = 0; c < channels; c++, start += spatial) {
      for (int from = start, end = start + spatial; from < end; from += s.length) {
        int n = Math.min(s.length, end - from);
        for (int i = 0; i < n; i++) {
          s[i] = sample[from + i];
        }
        stageChannel(c, s, 0, n);
      }
      placeGrids(spatial);
    }
  }

  /** S > 1: values[from, from + n) of channel c, whole vectors in place and the tail one by one. */
  private void stageChannel(int c, double[] values, int from, int n) {
    if (top[c] == NO_GRID) {
      placeFirst(c, values, from, 1, Math.min(n, 64));
    }
    int vectors = n / LANES;
    for (int i = 0; i < vectors; ) {
      int room = CAPACITY - channelAdds[c];
      if (room == 0) {
        flushChannel(c);
        room = CAPACITY;
      }
      int count = Math.min(room, vectors - i);
      accumulate(values, from + i * LANES, LANES, count, c);
      channelAdds[c] += count;
      i += count;
    }
    for (int i = from + vectors * LANES, end = from + n; i < end; i++) {
      misses.add(c, values[i]);
    }
  }

  /** S = 1: the staged rows, a slot of LANES channels at a time. */
  private void runBlock() {
    int n = blockRows;
    for (int c = 0; c < channels; c++) {
      if (top[c] == NO_GRID) {
        placeFirst(c, block, c, channels, n);
      }
    }
    if (adds + n > CAPACITY) {
      flushParts();
    }
    for (int slot = 0, offset = 0; offset < channels; slot++, offset += LANES) {
      accumulate(block, offset, channels, n, slot);
    }
    adds += n;
    blockRows = 0;
    placeGrids(n);
  }

  /**
   * Adds count vectors, data[offset + i * stride, + LANES), to the parts of slot; the lanes off
   * their grids are zeroed there and handed to the misses.
   */
  private void accumulate(double[] data, int offset, int stride, int count, int slot) {
    int g = slot * LANES;
    DoubleVector m1 = DoubleVector.fromArray(SPECIES, split1, g);
    DoubleVector m2 = DoubleVector.fromArray(SPECIES, split2, g);
    DoubleVector m3 = DoubleVector.fromArray(SPECIES, split3, g);
    DoubleVector low = DoubleVector.fromArray(SPECIES, lowest, g);
    DoubleVector high = DoubleVector.fromArray(SPECIES, highest, g);
    int p = g * PARTS;
    DoubleVector a1 = DoubleVector.fromArray(SPECIES, parts, p);
    DoubleVector a2 = DoubleVector.fromArray(SPECIES, parts, p + LANES);
    DoubleVector b1 = DoubleVector.fromArray(SPECIES, parts, p + 2 * LANES);
    DoubleVector b2 = DoubleVector.fromArray(SPECIES, parts, p + 3 * LANES);
    DoubleVector b3 = DoubleVector.fromArray(SPECIES, parts, p + 4 * LANES);
    DoubleVector b4 = DoubleVector.fromArray(SPECIES, parts, p + 5 * LANES);
    for (int i = 0, o = offset; i < count; i++, o += stride) {
      DoubleVector x = DoubleVector.fromArray(SPECIES, data, o);
      DoubleVector magnitude = x.abs();
      VectorMask<Double> fits = magnitude.compare(VectorOperators.GE, low).and(magnitude.compare(VectorOperators.LT, high));
      if (!fits.allTrue()) {
        fits = fits.or(x.compare(VectorOperators.EQ, 0.0));
        if (!fits.allTrue()) {
          missed(data, o, slot, fits.toLong());
          x = x.blend(0.0, fits.not());
        }
      }
      DoubleVector h1 = x.add(m1).sub(m1);
      DoubleVector hi = x.mul(x);
      DoubleVector lo = x.fma(x, hi.neg());
      DoubleVector h2 = hi.add(m2).sub(m2);
      DoubleVector h3 = lo.add(m3).sub(m3);
      a1 = a1.add(h1);
      a2 = a2.add(x.sub(h1));
      b1 = b1.add(h2);
      b2 = b2.add(hi.sub(h2));
      b3 = b3.add(h3);
      b4 = b4.add(lo.sub(h3));
    }
    a1.intoArray(parts, p);
    a2.intoArray(parts, p + LANES);
    b1.intoArray(parts, p + 2 * LANES);
    b2.intoArray(parts, p + 3 * LANES);
    b3.intoArray(parts, p + 4 * LANES);
    b4.intoArray(parts, p + 5 * LANES);
  }

  /** The lanes of data[o, o + LANES) not set in fits: to the misses, noted for the grids' placement. */
  private void missed(double[] data, int o, int slot, long fits) {
    for (int lane = 0; lane < LANES; lane++) {
      if ((fits & (1L << lane)) != 0) {
        continue;
      }
      int c = rows ? slot * LANES + lane : slot;
      double x = data[o + lane];
      misses.add(c, x);
      double magnitude = Math.abs(x);
      if (magnitude < Double.MIN_NORMAL || magnitude == Double.POSITIVE_INFINITY || magnitude != magnitude) {
        continue; // subnormal, infinite or NaN: no grid holds it
      }
      if (above[c] + below[c] == 0) {
        missedChannels[missedCount++] = c;
      }
      if (top[c] == NO_GRID || magnitude >= Math.scalb(1.0, top[c])) {
        above[c]++;
        aboveMax[c] = Math.max(aboveMax[c], magnitude);
      } else {
        below[c]++;
        belowMax[c] = Math.max(belowMax[c], magnitude);
      }
    }
  }

  /**
   * Moves the grid of each channel that missed since the last call: up to the largest value above
   * it when most misses were above, down to the largest below it when more than an eighth of the
   * values (n a channel) were below.
   */
  private void placeGrids(int n) {
    for (int i = 0; i < missedCount; i++) {
      int c = missedChannels[i];
      int wanted = NO_GRID;
      if (above[c] > 0 && above[c] >= below[c]) {
        wanted = Math.getExponent(aboveMax[c]) + 2;
      } else if (below[c] > n / 8) {
        wanted = Math.getExponent(belowMax[c]) + 2;
      }
      if (wanted != NO_GRID) {
        flushChannel(c);
        setGrid(c, wanted >= MIN_TOP && wanted <= MAX_TOP ? wanted : NO_GRID);
      }
      above[c] = 0;
      below[c] = 0;
      aboveMax[c] = 0;
      belowMax[c] = 0;
    }
    missedCount = 0;
  }

  /**
   * Places channel c's first grid from n of its values, values[from + i * stride], just above the
   * largest finite one, so that its first values fit rather than miss.
   */
  private void placeFirst(int c, double[] values, int from, int stride, int n) {
    double largest = 0;
    for (int i = 0, o = from; i < n; i++, o += stride) {
      double magnitude = Math.abs(values[o]);
      if (magnitude > largest && magnitude < Double.POSITIVE_INFINITY) {
        largest = magnitude;
      }
    }
    int wanted = Math.getExponent(largest) + 2;
    if (largest >= Double.MIN_NORMAL && wanted >= MIN_TOP && wanted <= MAX_TOP) {
      setGrid(c, wanted);
    }
  }

  /** Sets channel c's grid constants for top E (NO_GRID: nothing but zero fits). */
  private void setGrid(int c, int e) {
    top[c] = e;
    boolean none = e == NO_GRID;
    double m1 = none ? 0 : Math.scalb(1.5, e + 13);
    double m2 = none ? 0 : Math.scalb(1.5, 2 * e + 13);
    double m3 = none ? 0 : Math.scalb(1.5, 2 * e - 40);
    double low = none ? Double.POSITIVE_INFINITY : Math.scalb(1.0, e - WINDOW);
    double high = none ? Double.POSITIVE_INFINITY : Math.scalb(1.0, e);
    int from = rows ? c : c * LANES;
    int to = rows ? c + 1 : from + LANES;
    for (int i = from; i < to; i++) {
      split1[i] = m1;
      split2[i] = m2;
      split3[i] = m3;
      lowest[i] = low;
      highest[i] = high;
    }
  }

  /** Adds channel c's parts to its exact sums and zeroes them. */
  private void flushChannel(int c) {
    if (rows) {
      int slot = c / LANES;
      flushLane(c, slot * LANES * PARTS + c % LANES);
    } else {
      for (int lane = 0, p = c * LANES * PARTS; lane < LANES; lane++) {
        flushLane(c, p + lane);
      }
      channelAdds[c] = 0;
    }
  }

  /** The six parts of one lane of channel c, from parts[p] on (LANES apart). */
  private void flushLane(int c, int p) {
    double[] pt = parts;
    for (int k = 0; k < PARTS; k++, p += LANES) {
      double v = pt[p];
      if (v != 0) {
        (k < 2 ? sums[c] : squares[c]).add(v);
        pt[p] = 0;
      }
    }
  }

  private void flushParts() {
    for (int c = 0; c < channels; c++) {
      flushChannel(c);
    }
    adds = 0;
  }

  /** Stages what is in the block and moves every part and bucket into the exact sums. */
  @Override
  public void flushAll() {
    if (blockRows > 0) {
      runBlock();
    }
    flushParts();
    misses.flushAll();
  }
}
