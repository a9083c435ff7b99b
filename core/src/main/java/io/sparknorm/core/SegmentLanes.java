package io.sparknorm.core;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link SegmentNormalizer}'s arithmetic, lane by lane, for segments so short that several lie in
 * one vector: group norm on rows (S = 1) with L = C/G dividing the vector length, such as G = 32 on
 * C = 64 (L = 2). The scalar kernel spends most of its time there on each segment's square root and
 * divisions, one segment at a time; here a vector's segments share them.
 *
 * <p>Each lane computes its own segment's mean and 1 / sqrt(var + eps) from its segment's values,
 * gathered by in-register shuffles, with the scalar kernel's operations in the scalar kernel's
 * order (four partial sums, the tail into the first, {@code (s0 + s1) + (s2 + s3)}), so every
 * output has the same bits. The one change, dividing by L as multiplying by 1/L, is exact: L is a
 * power of two. A segment whose squares overflow is left to the scalar kernel's scaled path.
 *
 * <p>Used only where the JVM has the Vector API ({@link Simd#AVAILABLE}) and once its JIT warm-up
 * pays ({@link Simd#segmentsPay()}).
 */
final class SegmentLanes {
  private static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
  static final int LANES = SPECIES.length();

  private final int length;
  private final double inverseLength;
  private final double eps;
  private final double[] weight;
  private final double[] bias;
  /** Per position j in a segment: each lane takes its segment's j-th value. */
  private final VectorShuffle<Double>[] position;

  /** Whether segments of this length, one value a channel, fit whole and several to a vector. */
  static boolean serves(Shape shape, int segments) {
    int length = shape.size() / segments;
    return shape.spatialSize() == 1 && length >= 2 && 2 * length <= LANES && LANES % length == 0;
  }

  /** Weight and bias per element (S = 1: per channel is per element). */
  @SuppressWarnings("unchecked")
  SegmentLanes(int length, double eps, double[] weight, double[] bias) {
    this.length = length;
    this.inverseLength = 1.0 / length;
    this.eps = eps;
    this.weight = weight;
    this.bias = bias;
    position = new VectorShuffle[length];
    for (int j = 0; j < length; j++) {
      int[] lanes = new int[LANES];
      for (int lane = 0; lane < LANES; lane++) {
        lanes[lane] = lane / length * length + j;
      }
      position[j] = VectorShuffle.fromArray(SPECIES, lanes, 0);
    }
  }

  /**
   * Normalizes in into out (the sample's length a multiple of LANES; out may be in) a vector at a
   * time, up to the first vector with a segment whose sum of squared deviations is not finite:
   * returns how many values it normalized, in.length when all.
   */
  int normalize(double[] in, double[] out) {
    DoubleVector inverseL = DoubleVector.broadcast(SPECIES, inverseLength);
    DoubleVector one = DoubleVector.broadcast(SPECIES, 1.0);
    for (int o = 0; o < in.length; o += LANES) {
      DoubleVector x = DoubleVector.fromArray(SPECIES, in, o);
      DoubleVector shifted = x.sub(x.rearrange(position[0]));
      DoubleVector deviation = shifted.sub(segmentSums(shifted).mul(inverseL));
      DoubleVector squares = segmentSums(deviation.mul(deviation));
      if (!squares.test(VectorOperators.IS_FINITE).allTrue()) {
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
   * with out untouched, when a segment's sum of squares is not finite.
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

  /** Each lane: the sum over its segment, added as {@link SegmentNormalizer#shiftedSum} adds. */
  private DoubleVector segmentSums(DoubleVector v) {
    DoubleVector s0 = DoubleVector.zero(SPECIES);
    DoubleVector s1 = s0;
    DoubleVector s2 = s0;
    DoubleVector s3 = s0;
    int j = 0;
    for (; j + 3 < length; j += 4) {
      s0 = s0.add(v.rearrange(position[j]));
      s1 = s1.add(v.rearrange(position[j + 1]));
      s2 = s2.add(v.rearrange(position[j + 2]));
      s3 = s3.add(v.rearrange(position[j + 3]));
    }
    for (; j < length; j++) {
      s0 = s0.add(v.rearrange(position[j]));
    }
    return s0.add(s1).add(s2.add(s3));
  }
}
