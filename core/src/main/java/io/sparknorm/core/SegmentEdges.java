package io.sparknorm.core;

/**
 * {@link SegmentNormalizer}'s rare paths. A segment whose squared deviations leave the double
 * range is computed again on values scaled by a power of two, which is exact: near 1e308 they
 * overflow; with eps tiny or 0, tiny deviations (1e-200) underflow, and the variance would lose its
 * digits or become 0. A segment whose exact result is not finite, all its values equal with eps 0
 * (0/0), is refused by the rule {@link #constantRule} words.
 */
final class SegmentEdges {
  private SegmentEdges() {}

  /** A power of two that brings any double's square, times any segment length, within range. */
  static final double DOWN = 0x1p-600;

  /**
   * Where eps is below this, a segment whose variance is below it too is computed scaled up: at or
   * above it, underflow (each square off by at most 2^-1075) moves var + eps by less than 2^-115 of
   * itself.
   */
  static final double TINY = 0x1p-960;

  /**
   * The factor for such a segment. Its squares sum below TINY times a length of at most 2^31, so its
   * deviations lie below 2^-463: times UP at most 2^127, their squares summed within range. A
   * non-zero difference of doubles is at least 2^-1074: times UP at least 2^-484, which makes a
   * variance of at least 2^-1000, where no square that matters is lost.
   */
  static final double UP = 0x1p590;

  /**
   * The sum of squared deviations of a segment of this length below which it is computed scaled
   * up; 0 (never) where eps alone keeps var + eps at least {@link #TINY}.
   */
  static double lowestSquares(double eps, int length) {
    return eps < TINY ? TINY * length : 0;
  }

  /**
   * One segment whose squared deviations are beyond the double range: the same computation on the
   * values times {@code factor}, a power of two, which is exact for them and leaves the normalized
   * values unchanged (eps is scaled the same way). 2^-600 for values near 1e308, whose deviations
   * or squares overflow: they are scaled before they are subtracted. 2^590 for tiny deviations,
   * whose squares underflow: the difference (exact where subnormal) is scaled. The rare path: the
   * common one never multiplies.
   */
  static void normalizeScaled(double[] in, double[] out, int start, int end, double factor, double eps,
      double[] weight, double[] bias, int affineStride) {
    int length = end - start;
    double[] shifted = new double[length];
    double first = in[start];
    if (factor < 1) {
      double shift = first * factor;
      for (int i = start; i < end; i++) {
        shifted[i - start] = in[i] * factor - shift;
      }
    } else {
      for (int i = start; i < end; i++) {
        shifted[i - start] = (in[i] - first) * factor;
      }
    }
    double m = SegmentNormalizer.shiftedSum(shifted, 0, length, 0.0) / length;
    double squares = SegmentNormalizer.squaredDeviations(shifted, 0, length, 0.0, m);
    double inv = 1.0 / Math.sqrt(squares / length + eps * factor * factor);
    for (int i = start; i < end; i++) {
      int a = affineStride == 1 ? i : i / affineStride;
      out[i] = (shifted[i - start] - m) * (inv * weight[a]) + bias[a];
    }
  }

  static boolean constant(double[] in, int start, int end) {
    for (int i = start + 1; i < end; i++) {
      if (in[i] != in[start]) {
        return false;
      }
    }
    return true;
  }

  static boolean constant(float[] in, int start, int end) {
    for (int i = start + 1; i < end; i++) {
      if (in[i] != in[start]) {
        return false;
      }
    }
    return true;
  }

  /** What constant segment g breaks with eps 0, named as the method does: the sample, a channel, a group. */
  static String constantRule(Shape shape, int segments, int g) {
    int perSegment = shape.channels() / segments;
    String where = segments == 1 ? "the sample" : perSegment == 1 ? "channel " + g
        : "group " + g + " (channels " + g * perSegment + " to " + ((g + 1) * perSegment - 1) + ")";
    return where + " has variance 0 (all its values are equal) and eps is 0: its normalized values are 0/0, not"
        + " finite";
  }

  /** The rule of the first constant segment, or null: for eps 0. */
  static String constantSegment(double[] in, Shape shape, int segments) {
    int length = in.length / segments;
    for (int g = 0, start = 0; g < segments; g++, start += length) {
      if (constant(in, start, start + length)) {
        return constantRule(shape, segments, g);
      }
    }
    return null;
  }

  /** The rule of the first constant segment, or null: for eps 0. */
  static String constantSegment(float[] in, Shape shape, int segments) {
    int length = in.length / segments;
    for (int g = 0, start = 0; g < segments; g++, start += length) {
      if (constant(in, start, start + length)) {
        return constantRule(shape, segments, g);
      }
    }
    return null;
  }
}
