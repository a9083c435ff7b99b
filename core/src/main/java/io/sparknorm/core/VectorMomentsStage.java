package io.sparknorm.core;

import java.util.function.IntConsumer;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.LongVector;
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
 * Such an x is split without error into parts that add up in doubles without rounding, 4,095 to a
 * lane between flushes. A running sum s sits on a constant M = 1.5 * 2^(k + 52), in the binade
 * whose step is 2^k: t = s + v rounds v onto that grid, q = t - s is exact (the part of v taken),
 * and so is the rest v - q, which is added up on its own (four additions a part; ReproBLAS's
 * indexed sums work so):
 * <pre>
 *   x       = q1 + r1   q1 on 2^(E-39), |x| &lt; 2^E;           r1 on 2^(E-66) (ulp of the smallest x)
 *   x*x     = hi + lo   hi = fl(x*x), lo = fma(x, x, -hi), exactly
 *   hi      = q2 + r2   q2 on 2^(2E-39), |hi| &lt;= 2^(2E);       r2 on 2^(2E-80), |r2| &lt;= 2^(2E-40)
 *   lo      = q3 + r3   q3 on 2^(2E-92), |lo| &lt;= 2^(2E-53);    r3 on 2^(2E-132), |r3| &lt;= 2^(2E-93)
 * </pre>
 * A part q is its v rounded to the grid, so |q| is at most |v| and half a step; 4,095 of them move
 * a sum less than 2^(E+12) (2^(2E+12), 2^(2E-41)) from M = 3 * 2^(E+12)
 * (3 * 2^(2E+12), 3 * 2^(2E-41)), so it stays in M's binade and on its grid; 4,095 rests r stay
 * below 2^53 units of their grid (the tightest, r2: 2^12 * 2^(2E-40) = 2^(2E-28) against
 * 2^(2E-80+53)), so each lane's six sums are exact doubles; a flush adds the sums less M and the
 * sums of the rests to the exact sums. {@code ExactMomentsVectorTest} holds values at the edges
 * of the grid to these bounds. Some of the additions are written {@code fma(v, 1, w)}: the same
 * rounding, but on the multiply units, which the adds leave idle (the adds were the limit; figures
 * in benchmarks/README.md).
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
  private static final VectorSpecies<Long> LONGS = SPECIES.withLanes(long.class);
  private static final int CAPACITY = 4095;
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
    LongVector low = LongVector.fromArray(LONGS, gr.lowestBits, g);
    LongVector span = LongVector.fromArray(LONGS, gr.spanBits, g);
    int p = g * PARTS;
    // The running sums on the grid sit on their constant (exact: the same binade, the same grid).
    DoubleVector s1 = m1.add(DoubleVector.fromArray(SPECIES, parts, p));
    DoubleVector r1 = DoubleVector.fromArray(SPECIES, parts, p + LANES);
    DoubleVector s2 = m2.add(DoubleVector.fromArray(SPECIES, parts, p + 2 * LANES));
    DoubleVector r2 = DoubleVector.fromArray(SPECIES, parts, p + 3 * LANES);
    DoubleVector s3 = m3.add(DoubleVector.fromArray(SPECIES, parts, p + 4 * LANES));
    DoubleVector r3 = DoubleVector.fromArray(SPECIES, parts, p + 5 * LANES);
    DoubleVector one = DoubleVector.broadcast(SPECIES, 1.0);
    for (int i = 0, o = offset; i < count; i++, o += stride) {
      DoubleVector x = DoubleVector.fromArray(SPECIES, data, o);
      // low <= |x| < high as one unsigned comparison of the bits: |x| - low wraps around below low.
      VectorMask<Long> inRange = x.abs().reinterpretAsLongs().sub(low).compare(VectorOperators.UNSIGNED_LT, span);
      if (!inRange.allTrue()) {
        VectorMask<Double> fits = inRange.cast(SPECIES).or(x.compare(VectorOperators.EQ, 0.0));
        if (!fits.allTrue()) {
          missed(data, o, slot, fits.toLong());
          x = x.blend(0.0, fits.not());
        }
      }
      DoubleVector hi = x.mul(x);
      DoubleVector lo = x.fma(x, hi.neg());
      // t = s + v rounds v onto the grid; -q = s - t and the rest v - q are exact.
      DoubleVector t1 = s1.add(x);
      r1 = r1.add(x.fma(one, s1.sub(t1)));
      s1 = t1;
      DoubleVector t2 = s2.add(hi);
      r2 = r2.add(hi.fma(one, s2.sub(t2)));
      s2 = t2;
      DoubleVector t3 = s3.add(lo);
      r3 = r3.add(lo.fma(one, s3.sub(t3)));
      s3 = t3;
    }
    s1.sub(m1).intoArray(parts, p);
    r1.intoArray(parts, p + LANES);
    s2.sub(m2).intoArray(parts, p + 2 * LANES);
    r2.intoArray(parts, p + 3 * LANES);
    s3.sub(m3).intoArray(parts, p + 4 * LANES);
    r3.intoArray(parts, p + 5 * LANES);
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
