package io.sparknorm.core;

import java.util.function.IntConsumer;
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
 * rows are staged in blocks of {@value #BLOCK} so the sums stay in registers along a block (rows
 * of doubles handed over together are read in place, {@value #RUN} at a time); for S &gt; 1 a
 * vector holds consecutive values of one channel, read in place. A channel's first grid is placed
 * just above the largest of its first values ({@link ChannelGrids}). Values off their
 * grid (too small, too large, subnormal, NaN, infinite) and the tail of a channel shorter than a
 * vector go to {@link MomentsStage} one by one, which takes any double exactly. After each block
 * a channel with misses has its grid moved to where most of them were.
 *
 * <p>Not thread-safe; the owner reads its sums only after {@link #flushAll()}.
 */
final class VectorMomentsStage implements SampleStage {
  private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
  static final int LANES = SPECIES.length();
  private static final int CAPACITY = 4096;
  private static final int BLOCK = 16;
  private static final int RUN = 32;
  private static final int PARTS = 6;

  private final int channels;
  private final int spatial;
  private final boolean rows;
  private final ExactSum[] sums;
  private final ExactSum[] squares;
  private final MomentsStage misses;
  private final ChannelGrids grids;
  /** Takes a channel's parts before its grid moves. */
  private final IntConsumer beforeMove = this::flushChannel;
  /** Per slot (a vector of channels for S = 1, a channel for S > 1), part, lane: the six exact partial sums. */
  private final double[] parts;

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
    this.grids = new ChannelGrids(channels, rows, LANES);
    this.parts = new double[(rows ? channels : channels * LANES) * PARTS];
    if (rows) {
      block = new double[BLOCK * channels];
    } else {
      channelAdds = new int[channels];
    }
  }

  @Override
  public void update(double[] sample) {
    stageSample(sample, 0);
  }

  @Override
  public void update(float[] sample) {
    stageSample(sample, 0);
  }

  /** For S = 1, runs of RUN rows are read in place: no copy into the block. */
  @Override
  public void update(double[] values, int from, int samples, int size) {
    int s = 0;
    if (rows) {
      for (; s < samples && blockRows > 0; s++) {
        stageSample(values, from + s * size);
      }
      for (; samples - s >= RUN; s += RUN) {
        runRows(values, from + s * size, RUN);
      }
    }
    for (; s < samples; s++) {
      stageSample(values, from + s * size);
    }
  }

  /** Floats are converted into the block (S = 1) or a scratch (S &gt; 1) a sample at a time in any case. */
  @Override
  public void update(float[] values, int from, int samples, int size) {
    for (int s = 0; s < samples; s++) {
      stageSample(values, from + s * size);
    }
  }

  /** One sample, values[from, from + C x S). */
  private void stageSample(double[] values, int from) {
    if (rows) {
      System.arraycopy(values, from, block, blockRows * channels, channels);
      if (++blockRows == BLOCK) {
        runBlock();
      }
      return;
    }
    for (int c = 0, start = from; c < channels; c++, start += spatial) {
      stageChannel(c, values, start, spatial);
      grids.place(spatial, beforeMove);
    }
  }

  /** One sample, values[from, from + C x S); each float exactly as a double. */
  private void stageSample(float[] values, int from) {
    if (rows) {
      double[] b = block;
      for (int c = 0, o = blockRows * channels; c < channels; c++) {
        b[o + c] = values[from + c];
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
    for (int c = 0, start = from; c < channels; c++, start += spatial) {
      for (int i = start, end = start + spatial; i < end; i += s.length) {
        int n = Math.min(s.length, end - i);
        for (int j = 0; j < n; j++) {
          s[j] = values[i + j];
        }
        stageChannel(c, s, 0, n);
      }
      grids.place(spatial, beforeMove);
    }
  }

  /** S > 1: values[from, from + n) of channel c, whole vectors in place and the tail one by one. */
  private void stageChannel(int c, double[] values, int from, int n) {
    if (!grids.placed(c)) {
      grids.placeFirst(c, values, from, 1, Math.min(n, 64));
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

  /** S = 1: the rows staged in the block. */
  private void runBlock() {
    runRows(block, 0, blockRows);
    blockRows = 0;
  }

  /** S = 1: n rows of C values, data[offset, offset + n x C), a slot of LANES channels at a time. */
  private void runRows(double[] data, int offset, int n) {
    for (int c = 0; c < channels; c++) {
      if (!grids.placed(c)) {
        grids.placeFirst(c, data, offset + c, channels, n);
      }
    }
    if (adds + n > CAPACITY) {
      flushParts();
    }
    for (int slot = 0, o = offset; o < offset + channels; slot++, o += LANES) {
      accumulate(data, o, channels, n, slot);
    }
    adds += n;
    grids.place(n, beforeMove);
  }

  /**
   * Adds count vectors, data[offset + i * stride, + LANES), to the parts of slot; the lanes off
   * their grids are zeroed there and handed to the misses.
   */
  private void accumulate(double[] data, int offset, int stride, int count, int slot) {
    int g = slot * LANES;
    ChannelGrids gr = grids;
    DoubleVector m1 = DoubleVector.fromArray(SPECIES, gr.split1, g);
    DoubleVector m2 = DoubleVector.fromArray(SPECIES, gr.split2, g);
    DoubleVector m3 = DoubleVector.fromArray(SPECIES, gr.split3, g);
    DoubleVector low = DoubleVector.fromArray(SPECIES, gr.lowest, g);
    DoubleVector high = DoubleVector.fromArray(SPECIES, gr.highest, g);
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

  /** The lanes of data[o, o + LANES) not set in fits: to the buckets, noted for the grids' placement. */
  private void missed(double[] data, int o, int slot, long fits) {
    for (int lane = 0; lane < LANES; lane++) {
      if ((fits & (1L << lane)) == 0) {
        int c = rows ? slot * LANES + lane : slot;
        double x = data[o + lane];
        misses.add(c, x);
        grids.missed(c, x);
      }
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
