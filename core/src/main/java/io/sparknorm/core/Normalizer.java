package io.sparknorm.core;

import java.io.Serializable;

/**
 * A configured normalization of one flat sample, the counterpart of a call to
 * {@code torch.nn.functional.*_norm} on a batch of one. Instances are immutable and thread-safe;
 * they are built by {@link Normalizers} and shipped to Spark's executors as they are.
 *
 * <p>The arithmetic is in double for every element type; float output is rounded once at the end.
 * {@code out} may be the input array itself.
 *
 * <p>A finite sample whose exact normalized values are not finite (layer, instance or group norm
 * of a segment whose values are all equal, with eps 0: 0/0) is refused with a {@link
 * NonFiniteResultException}, which {@link #problem} tells beforehand; {@code out} is then
 * undefined. Batch norm refuses a channel of variance 0 with eps 0 where it is built.
 */
public interface Normalizer extends Serializable {

  /** The shape of the samples this normalizer takes. */
  Shape shape();

  /**
   * Normalizes one flat sample; both arrays have {@code shape().size()} elements.
   *
   * @throws NonFiniteResultException when the exact normalized values are not finite
   */
  void normalize(double[] in, double[] out);

  /**
   * Normalizes one flat sample; both arrays have {@code shape().size()} elements.
   *
   * @throws NonFiniteResultException when the exact normalized values are not finite
   */
  void normalize(float[] in, float[] out);

  /**
   * Normalizes one flat sample of integers on their exact values (a long beyond 2^53 has no exact
   * double): each value is taken relative to an integer near its segment's or channel's mean, in
   * exact integer arithmetic, and the rest is computed in double as for {@link
   * #normalize(double[], double[])}; the normalized values do not change with such a shift.
   */
  void normalize(long[] in, double[] out);

  /**
   * The rule a finite sample of {@code shape().size()} values breaks for this normalizer, whose
   * {@link #normalize} would throw a {@link NonFiniteResultException} with it; else null.
   */
  default String problem(double[] in) {
    return null;
  }

  /** As {@link #problem(double[])}, for floats. */
  default String problem(float[] in) {
    return null;
  }

  /** As {@link #problem(double[])}, for integers. */
  default String problem(long[] in) {
    return null;
  }

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
