package io.sparknorm.core;

/**
 * What {@link ExactMoments} puts in front of its exact sums: samples go in cheaply, and {@link
 * #flushAll()} moves everything staged into the sums exactly. {@link MomentsStage} (integer
 * buckets) serves everywhere; {@link VectorMomentsStage} (SIMD) where the JVM has the Vector API.
 */
interface SampleStage {
  /** Stages one flat sample of the shape (of the right length). */
  void update(double[] sample);

  /** Stages one flat sample of the shape (of the right length); each float exactly as a double. */
  void update(float[] sample);

  /** Moves everything staged into the exact sums. */
  void flushAll();

  /**
   * The stage for samples of the shape: the SIMD one when {@code simd} is asked for, the JVM has the
   * Vector API and the shape suits it, else the integer buckets.
   */
  static SampleStage of(Shape shape, ExactSum[] sums, ExactSum[] squares, boolean simd) {
    if (simd && Simd.AVAILABLE && VectorMomentsStage.serves(shape)) {
      return new VectorMomentsStage(shape, sums, squares);
    }
    return new MomentsStage(shape, sums, squares);
  }
}
