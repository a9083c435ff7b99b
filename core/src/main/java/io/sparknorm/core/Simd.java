package io.sparknorm.core;

import java.util.concurrent.atomic.LongAdder;

/**
 * When this JVM stages exact statistics with {@link VectorMomentsStage} and normalizes short
 * segments with {@link SegmentLanes} (the second part, at the end). It can when it has the
 * Vector API module ({@code --add-modules=jdk.incubator.vector}, which Spark's launcher adds to
 * every driver and executor) with vectors of at least 4 doubles, and {@code -Dsparknorm.simd=false}
 * is not set. It does once that pays: until the JIT has compiled the SIMD kernel its vector
 * operations run as objects, slower than the integer buckets, so the buckets serve the first
 * {@value #WARM_UP_VALUES} values (2^26) that default states stage in a JVM, on which the buckets
 * lose about what the warm-up costs (benchmarks/README.md), and SIMD everything after (the rule that keeps a choice made without knowing the future
 * within twice the best one). A short job never pays the warm-up; a long job or a long-lived
 * session (a notebook, a Connect server) pays it once.
 *
 * <p>Kept apart from {@link VectorMomentsStage} so that a JVM without the module never loads it.
 */
final class Simd {
  static final boolean AVAILABLE = check();
  /** Values the buckets stage for default states in a JVM before SIMD takes over. */
  static final long WARM_UP_VALUES = 1L << 26;

  /** Segments the scalar kernel normalizes in a JVM before {@link SegmentLanes} takes over. */
  static final long SEGMENT_WARM_UP = 1L << 25;

  private static final LongAdder BUCKETED = new LongAdder();
  private static volatile boolean warm;
  /** Counted without synchronization: a lost count only delays the switch a little. */
  private static long scalarSegments;
  private static volatile boolean segmentsWarm;

  private Simd() {}

  /** Whether SIMD pays now: the module is there and the buckets have staged their share. */
  static boolean pays() {
    return warm;
  }

  /** Counts values the buckets staged (callers report in batches). */
  static void bucketed(long values) {
    if (AVAILABLE && !warm) {
      BUCKETED.add(values);
      if (BUCKETED.sum() >= WARM_UP_VALUES) {
        warm = true;
      }
    }
  }

  /**
   * Whether {@link SegmentLanes} pays now. Until the JIT has compiled it, its first rows run as
   * objects; so the scalar kernel serves the first {@value #SEGMENT_WARM_UP} segments (2^25, 2^20
   * rows of 32) that could go to it, on which the lanes would save about what their warm-up costs,
   * by the same rule as the statistics.
   */
  static boolean segmentsPay() {
    return segmentsWarm;
  }

  /** Counts the segments of a row the scalar kernel normalized where SegmentLanes could have. */
  static void scalarSegments(int segments) {
    if (AVAILABLE && !segmentsWarm && (scalarSegments += segments) >= SEGMENT_WARM_UP) {
      segmentsWarm = true;
    }
  }

  /** Where the segments' warm-up stands: segments counted, and whether {@link SegmentLanes} has taken over. */
  record SegmentWarmUp(long counted, boolean warm) {
    static final SegmentWarmUp COLD = new SegmentWarmUp(0, false);
  }

  /** The segments' warm-up now (tests that move it take it first, to put it back). */
  static SegmentWarmUp segmentWarmUp() {
    return new SegmentWarmUp(scalarSegments, segmentsWarm);
  }

  /** Sets the segments' warm-up (tests: start cold, then put back what was there). */
  static void segmentWarmUp(SegmentWarmUp state) {
    scalarSegments = state.counted();
    segmentsWarm = state.warm();
  }

  private static boolean check() {
    if ("false".equals(System.getProperty("sparknorm.simd"))) {
      return false;
    }
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      return false;
    }
    try {
      return VectorMomentsStage.LANES >= 4;
    } catch (LinkageError e) {
      return false;
    }
  }
}
