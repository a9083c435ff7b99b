package io.sparknorm.core;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link SegmentNormalizer}'s arithmetic, lane by lane, for segments no longer than a vector: L
 * values a segment (C/G channels of S values) with L dividing the vector length, such as group
 * norm with G = 32 on C = 64 (L = 2) or instance norm on (8, 8) (L = 8). The scalar kernel spends
 * most of its time there on each segment's square root and division and on sums too short to
 * pipeline, one segment at a time; here a vector's segments share them.
 *
 * <p>Each lane computes its own segment's mean and 1 / sqrt(var + eps) with the scalar kernel's
 * operations on the same values, so every output has the same bits. The scalar sums ({@link
 * SegmentNormalizer#shiftedSum}) keep four partial sums from +0, s_k = (0 + v_k) + v_(k+4) for L =
 * 8, 0 + v_k for L = 4 (for L = 2 one, (0 + v_0) + v_1), and return (s0 + s1) + (s2 + s3); here
 * a butterfly of in-register shuffles forms the same terms in every lane of a segment, adding the
 * partner lane i ^ 4, then i ^ 1, then i ^ 2. Each step adds the same two values as the scalar
 * kernel, at most in the other order, and IEEE addition is commutative (signed zeros included).
 * The one other change, dividing by L as multiplying by 1/L, is exact: L is a power of two. A
 * segment whose squares overflow, or may have underflowed beside a tiny eps, is left to the scalar
 * kernel's scaled path.
 *
 * <p>Used only where the JVM has the Vector API ({@link Simd#AVAILABLE}) and once its JIT warm-up
 * pays ({@link Simd#segmentsPay()}).
 */
final class SegmentLanes {
  private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
  static final int LANES = SPECIES.length();
  /** The longest segment served: 8 values, the lanes of a 512-bit vector of doubles. */
  private static final int LONGEST = 8;

  // The shuffles are constants (C2 folds static finals), which keeps every rearrange one instruction.
  /** Each lane takes its neighbour's value: lane i gets lane i ^ 1. */
  private static final VectorShuffle<Double> PAIR = VectorShuffle.fromOp(SPECIES, i -> (i ^ 1) & (LANES - 1));
  /** Lane i gets lane i ^ 2. */
  private static final VectorShuffle<Double> QUAD = VectorShuffle.fromOp(SPECIES, i -> (i ^ 2) & (LANES - 1));
  /** Lane i gets lane i ^ 4. */
  private static final VectorShuffle<Double> HALF = VectorShuffle.fromOp(SPECIES, i -> (i ^ 4) & (LANES - 1));
  /** Each lane takes the first value of its segment of 2, 4 or 8. */
  private static final VectorShuffle<Double> FIRST_OF_2 = VectorShuffle.fromOp(SPECIES, i -> i & -2);
  private static final VectorShuffle<Double> FIRST_OF_4 = VectorShuffle.fromOp(SPECIES, i -> i & -4);
  private static final VectorShuffle<Double> FIRST_OF_8 = VectorShuffle.fromOp(SPECIES, i -> i & -8);

  private final int length;
  private final double inverseLength;
  private final double eps;
  /** The scalar kernel's bound: squares below it (or not finite) are its rare path. */
  private final double lowestSquares;
  private final double[] weight;
  private final double[] bias;

  /**
   * Whether segments of this length fit whole in a vector, one or several to it, and the sample
   * fills whole vectors.
   */
  static boolean serves(Shape shape, int segments) {
    int length = shape.size() / segments;
    return length >= 2 && length <= Math.min(LANES, LONGEST) && LANES % length == 0 && shape.size() % LANES == 0;
  }

  /** Weight and bias per element (a channel's repeated over its S values). */
  SegmentLanes(int length, double eps, double[] weight, double[] bias) {
    this.length = length;
    this.inverseLength = 1.0 / length;
    this.eps = eps;
    this.lowestSquares = SegmentEdges.lowestSquares(eps, length);
    this.weight = weight;
    this.bias = bias;
  }

  /**
   * Normalizes in into out (the sample's length a multiple of LANES; out may be in) a vector at a
   * time, up to the first vector with a segment whose sum of squared deviations is not finite, or
   * below the scalar kernel's bound for a tiny eps: returns how many values it normalized,
   * in.length when all.
   */
  int normalize(double[] in, double[] out) {
    // One method, no helpers: a call C2 does not inline boxes its vectors and costs several times the
    // arithmetic, and helpers taking vectors were not always inlined.
    DoubleVector inverseL = DoubleVector.broadcast(SPECIES, inverseLength);
    DoubleVector one = DoubleVector.broadcast(SPECIES, 1.0);
    DoubleVector zero = DoubleVector.zero(SPECIES);
    VectorShuffle<Double> first = length == 2 ? FIRST_OF_2 : length == 4 ? FIRST_OF_4 : FIRST_OF_8;
    for (int o = 0; o < in.length; o += LANES) {
      DoubleVector x = DoubleVector.fromArray(SPECIES, in, o);
      DoubleVector shifted = x.sub(x.rearrange(first));
      // The segment sums as SegmentNormalizer.shiftedSum forms them (see the class comment).
      DoubleVector sums = zero.add(shifted);
      if (length == 8) {
        sums = sums.add(shifted.rearrange(HALF));
      }
      sums = sums.add(sums.rearrange(PAIR));
      if (length >= 4) {
        sums = sums.add(sums.rearrange(QUAD));
      }
      DoubleVector deviation = shifted.sub(sums.mul(inverseL));
      DoubleVector square = deviation.mul(deviation);
      DoubleVector squares = zero.add(square);
      if (length == 8) {
        squares = squares.add(square.rearrange(HALF));
      }
      squares = squares.add(squares.rearrange(PAIR));
      if (length >= 4) {
        squares = squares.add(squares.rearrange(QUAD));
      }
      if (!squares.compare(VectorOperators.GE, lowestSquares)
          .and(squares.compare(VectorOperators.LT, Double.POSITIVE_INFINITY)).allTrue()) {
        return o;
      }
      DoubleVector inverseStd = one.div(squares.mul(inverseL).add(eps).sqrt());
      DoubleVector scale = inverseStd.mul(DoubleVector.fromArray(SPECIES, weight, o));
      deviation.mul(scale).add(DoubleVector.fromArray(SPECIES, bias, o)).intoArray(out, o);
    }
    return in.length;
  }

  /**
   * The same for floats, in double as the scalar float kernel computes (the same bits); false,
   * with out untouched, when a segment's sum of squares is not finite or below the bound.
   */
  boolean normalize(float[] in, float[] out) {
    double[] values = new double[in.length];
    for (int i = 0; i < in.length; i++) {
      values[i] = in[i];
    }
    double[] normalized = new double[in.length];
    if (normalize(values, normalized) < in.length) {
      return false;
    }
    for (int i = 0; i < in.length; i++) {
      out[i] = (float) normalized[i];
    }
    return true;
  }
}
