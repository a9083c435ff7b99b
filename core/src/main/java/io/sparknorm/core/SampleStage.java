package io.sparknorm.core;

/**
 * What {@link ExactMoments} puts in front of its exact sums: samples go in cheaply, and {@link
 * #flushAll()} moves everything staged into the sums exactly. {@link MomentsStage} (integer
 * buckets) serves everywhere; {@link VectorMomentsStage} (SIMD) where the JVM has the Vector API.
 */
interface SampleStage {
  /** Which stage to use: SIMD once it pays in this JVM ({@link Simd}), or one of the two always (tests). */
  enum Choice { ADAPTIVE, SIMD, BUCKETS }

  /**
   * Stages one flat sample of the shape (of the right length). Apart from runs of one sample: a
   * call less on the way from a row to the kernel, which the JIT then inlines into per-row callers
   * (a call a row is a visible part of the update's time on rows of 64).
   */
  void update(double[] sample);

  /** {@link #update(double[])} for floats, each exactly as a double. */
  void update(float[] sample);

  /**
   * Stages {@code samples} flat samples of the shape, {@code size} values each, one after another
   * from values[from] (the caller checked that they fit).
   */
  void update(double[] values, int from, int samples, int size);

  /** {@link #update(double[], int, int, int)} for floats, each exactly as a double. */
  void update(float[] values, int from, int samples, int size);

  /** Moves everything staged into the exact sums. */
  void flushAll();

  /** The stage for samples of the shape: SIMD when chosen or paying, the JVM can and the shape suits it; else buckets. */
  static SampleStage of(Shape shape, ExactSum[] sums, ExactSum[] squares, Choice choice) {
    boolean simd = choice == Choice.SIMD ? Simd.AVAILABLE : choice == Choice.ADAPTIVE && Simd.pays();
    if (simd && VectorMomentsStage.serves(shape)) {
      return new VectorMomentsStage(shape, sums, squares);
    }
    return new MomentsStage(shape, sums, squares);
  }
}
