package io.sparknorm.core;

import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.memory.Memory;

/**
 * Feeds blocks of finite values into per-channel KLL sketches at a fraction of KLL's own cost a
 * value, with KLL's accuracy.
 *
 * <p>KLL's update sorts its lowest level every few values and merges sorted levels upwards, for
 * every value it is given: many times the cost of the exact moments (benchmarks/README.md). So past a channel's first {@value #DIRECT} values, which go to the
 * sketch as they are, this does KLL's first compactions itself: each run of {@value #RUN}
 * consecutive values is sorted (a sorting network, Batcher's odd-even merge sort) and one
 * value in w is kept, at positions r, r + w, ... from a random r in [0, w), each standing for w
 * values. That is exactly log2(w) KLL compactions of the run (halvings with random parities pick
 * r + w i with r uniform), so the error is KLL's kind: for any value, the count of a run's values
 * at or below it is off by less than w, with mean 0, independently between runs. w grows with the
 * channel's count as KLL's own weights do ({@link #weight}): 2 up to 16,384 values, 4 up to
 * 131,072, then 8. At these weights the largest rank error stays that of KLL alone; a large w from
 * the start would lose accuracy on small channels (the check over many seeds: benchmarks/README.md).
 *
 * <p>The kept values go to a second sketch per channel (unweighted), which {@link #fold} merges with
 * a copy of itself log2(w) times (every value twice, then four times, ...: weight w) and then into
 * the channel's sketch: whenever the state is read, merged or written, and when w changes. Run
 * leftovers (fewer than 16 values) go straight to the channel's sketch.
 */
final class KllFeeder {
  /** Values of a channel that go to its sketch as they are, before runs are compacted. */
  static final long DIRECT = 4096;
  static final int RUN = 16;

  private final KllDoublesSketch[] sketches;
  private final KllDoublesSketch[] coarse;
  private final int[] coarseWeight;
  private final int k;
  private final double[] run = new double[RUN];
  private double[] kept;
  private long random = 0x9E3779B97F4A7C15L;

  KllFeeder(KllDoublesSketch[] sketches, int k) {
    this.sketches = sketches;
    this.coarse = new KllDoublesSketch[sketches.length];
    this.coarseWeight = new int[sketches.length];
    this.k = k;
  }

  /** The compaction weight for a channel that has seen this many values: 2, 4 or 8. */
  static int weight(long seen) {
    return seen < 16_384 ? 2 : seen < 131_072 ? 4 : 8;
  }

  /** Folds values[from, to) (finite) into channel c's sketch; seen: the channel's values before them. */
  void add(int c, double[] values, int from, int to, long seen) {
    int start = from;
    if (seen < DIRECT) {
      int direct = (int) Math.min(to - from, DIRECT - seen);
      sketches[c].update(values, from, direct);
      start += direct;
    }
    int runs = (to - start) / RUN;
    if (runs > 0) {
      int w = weight(seen + (start - from));
      if (coarse[c] != null && coarseWeight[c] != w) {
        fold(c);
      }
      if (kept == null || kept.length < RUN / 2 * runs) {
        kept = new double[Math.max(RUN / 2 * runs, 128)];
      }
      int n = 0;
      double[] sorted = run;
      for (int r = 0, i = start; r < runs; r++, i += RUN) {
        for (int j = 0; j < RUN; j++) {
          sorted[j] = values[i + j] + 0.0; // -0.0 as 0.0: Math.min and max then order as <
        }
        sort(sorted);
        random ^= random << 13;
        random ^= random >>> 7;
        random ^= random << 17;
        for (int j = (int) (random >>> 61) & (w - 1); j < RUN; j += w) {
          kept[n++] = sorted[j];
        }
      }
      if (coarse[c] == null) {
        coarse[c] = KllDoublesSketch.newHeapInstance(k);
        coarseWeight[c] = w;
      }
      coarse[c].update(kept, 0, n);
      start += runs * RUN;
    }
    if (start < to) {
      sketches[c].update(values, start, to - start);
    }
  }

  /** Merges channel c's compacted values, with their weight, into its sketch. */
  void fold(int c) {
    KllDoublesSketch folded = coarse[c];
    if (folded == null) {
      return;
    }
    for (int w = coarseWeight[c]; w > 1; w >>= 1) {
      folded.merge(KllDoublesSketch.heapify(Memory.wrap(folded.toByteArray()))); // doubles every weight
    }
    sketches[c].merge(folded);
    coarse[c] = null;
  }

  /**
   * Sorts 16 finite values (no -0.0) with Batcher's odd-even merge sort network: 63 compare-exchanges
   * written out, each a Math.min and a Math.max, without branches, so cheaper than Arrays.sort or the
   * same network on long keys.
   */
  static void sort(double[] k) {
    cx(k, 0, 1); cx(k, 2, 3); cx(k, 4, 5); cx(k, 6, 7); cx(k, 8, 9); cx(k, 10, 11); cx(k, 12, 13);
    cx(k, 14, 15); cx(k, 0, 2); cx(k, 1, 3); cx(k, 4, 6); cx(k, 5, 7); cx(k, 8, 10); cx(k, 9, 11);
    cx(k, 12, 14); cx(k, 13, 15); cx(k, 1, 2); cx(k, 5, 6); cx(k, 9, 10); cx(k, 13, 14); cx(k, 0, 4);
    cx(k, 1, 5); cx(k, 2, 6); cx(k, 3, 7); cx(k, 8, 12); cx(k, 9, 13); cx(k, 10, 14); cx(k, 11, 15);
    cx(k, 2, 4); cx(k, 3, 5); cx(k, 10, 12); cx(k, 11, 13); cx(k, 1, 2); cx(k, 3, 4); cx(k, 5, 6);
    cx(k, 9, 10); cx(k, 11, 12); cx(k, 13, 14); cx(k, 0, 8); cx(k, 1, 9); cx(k, 2, 10); cx(k, 3, 11);
    cx(k, 4, 12); cx(k, 5, 13); cx(k, 6, 14); cx(k, 7, 15); cx(k, 4, 8); cx(k, 5, 9); cx(k, 6, 10);
    cx(k, 7, 11); cx(k, 2, 4); cx(k, 3, 5); cx(k, 6, 8); cx(k, 7, 9); cx(k, 10, 12); cx(k, 11, 13);
    cx(k, 1, 2); cx(k, 3, 4); cx(k, 5, 6); cx(k, 7, 8); cx(k, 9, 10); cx(k, 11, 12); cx(k, 13, 14);
  }

  private static void cx(double[] k, int i, int j) {
    double a = k[i];
    double b = k[j];
    k[i] = Math.min(a, b);
    k[j] = Math.max(a, b);
  }
}
