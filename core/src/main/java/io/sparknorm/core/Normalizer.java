package io.sparknorm.core;

import java.io.Serializable;

/**
 * A configured normalization of one flat sample, the counterpart of a call to
 * {@code torch.nn.functional.*_norm} on a batch of one. Instances are immutable and thread-safe;
 * they are built by {@link Normalizers} and shipped to Spark's executors as they are.
 *
 * <p>The arithmetic is in double for both element types; float output is rounded once at the end.
 * {@code out} may be the input array itself.
 */
public interface Normalizer extends Serializable {

  /** The shape of the samples this normalizer takes. */
  Shape shape();

  /** Normalizes one flat sample; both arrays have {@code shape().size()} elements. */
  void normalize(double[] in, double[] out);

  /** Normalizes one flat sample; both arrays have {@code shape().size()} elements. */
  void normalize(float[] in, float[] out);

  /** Normalizes into a new array, after checking the length against the shape. */
  default double[] apply(double[] in) {
    shape().checkLength(in.length);
    double[] out = new double[in.length];
    normalize(in, out);
    return out;
  }

  /** Normalizes into a new array, after checking the length against the shape. */
  default float[] apply(float[] in) {
    shape().checkLength(in.length);
    float[] out = new float[in.length];
    normalize(in, out);
    return out;
  }
}
