package io.sparknorm.core;

/**
 * Layer, instance and group norm, which are one algorithm: split the flat sample into G equal
 * segments of consecutive channels ({@code C/G x S} elements each), normalize each segment by its
 * own mean and biased variance, then apply the affine transform per channel (instance, group) or
 * per element (layer). Layer norm is G = 1, instance norm is G = C.
 *
 * <p>Each segment is read twice (mean, then squared deviations): the two-pass variance is exact
 * where the one-pass sum of squares cancels. The values are taken relative to the segment's first
 * value, so that on data far from zero (1e8 + noise) neither the sum nor the mean, which is never
 * formed in absolute terms, rounds at the scale of the offset.
 *
 * <p>A segment whose squared deviations leave the double range, or may have underflowed beside a
 * tiny eps, takes {@link SegmentEdges}' scaled path; one whose exact result is not finite (all its
 * values equal, with eps 0) is refused with a {@link NonFiniteResultException}, never written as NaN.
 */
final class SegmentNormalizer implements Normalizer {
  private static final long serialVersionUID = 1L;

  private final Shape shape;
  private final int segments;
  private final double eps;
  /** The per-element length of the affine arrays: S for per-channel affine, 1 for per-element. */
  private final int affineStride;
  private final double[] weight;
  private final double[] bias;
  /**
   * Whether {@link SegmentLanes} can take these segments, decided where the normalizer is built (an
   * executor without the Vector API never counts its warm-up rows, so never makes the lanes); the
   * lanes themselves are made on first use: they are not serializable.
   */
  private final boolean lanesServe;
  private transient SegmentLanes lanes;

  /**
   * @param perElementAffine true for layer norm's elementwise weight and bias (length C x S),
   *     false for per-channel ones (length C)
   */
  SegmentNormalizer(Shape shape, int segments, double eps, Affine affine, boolean perElementAffine) {
    this.shape = shape;
    this.segments = segments;
    this.eps = eps;
    int affineLength = perElementAffine ? shape.size() : shape.channels();
    // With S = 1 a channel is one element: per-channel affine takes the straight per-element loop.
    this.affineStride = perElementAffine ? 1 : shape.spatialSize();
    this.weight = affine.weightOrOnes(affineLength);
    this.bias = affine.biasOrZeros(affineLength);
    this.lanesServe = Simd.AVAILABLE && SegmentLanes.serves(shape, segments);
  }

  /** The lanes when they serve and pay now, else null (and the row's segments count towards their warm-up). */
  private SegmentLanes lanes() {
    if (!lanesServe) {
      return null;
    }
    if (!Simd.segmentsPay()) {
      Simd.scalarSegments(segments);
      return null;
    }
    if (lanes == null) {
      lanes = newLanes();
    }
    return lanes;
  }

  /** The lanes for these segments, with the affine per element as they take it. */
  SegmentLanes newLanes() {
    return new SegmentLanes(shape.size() / segments, eps, perElement(weight), perElement(bias));
  }

  /** A per-channel weight or bias repeated over each channel's S values (per element already: itself). */
  private double[] perElement(double[] perChannel) {
    if (affineStride == 1) {
      return perChannel;
    }
    double[] elements = new double[shape.size()];
    for (int i = 0; i < elements.length; i++) {
      elements[i] = perChannel[i / affineStride];
    }
    return elements;
  }

  @Override
  public Shape shape() {
    return shape;
  }

  @Override
  public void normalize(double[] in, double[] out) {
    normalize(lanes(), in, out);
  }

  /** With the lanes l (or none), and the scalar kernel for what they leave. */
  void normalize(SegmentLanes l, double[] in, double[] out) {
    int done = l == null ? 0 : l.normalize(in, out);
    if (done < in.length) {
      // Segments never straddle vectors: the ones before are done, and in place their input is gone.
      normalizeScalar(in, out, done / (shape.size() / segments));
    }
  }

  @Override
  public void normalize(float[] in, float[] out) {
    SegmentLanes l = lanes();
    if (l == null || !l.normalize(in, out)) {
      normalizeScalar(in, out);
    }
  }

  /** Each segment relative to its first value (exact integer differences), then as doubles. */
  @Override
  public void normalize(long[] in, double[] out) {
    normalize(centered(in, out), out);
  }

  /** Each segment's values less its first one, as doubles: the normalized values are the same. */
  private double[] centered(long[] in, double[] out) {
    int length = shape.size() / segments;
    for (int start = 0; start < in.length; start += length) {
      long pivot = in[start];
      for (int i = start; i < start + length; i++) {
        out[i] = IntegerPivot.difference(in[i], pivot);
      }
    }
    return out;
  }

  /** One segment after another (the lanes' reference; tests compare the two). */
  void normalizeScalar(double[] in, double[] out) {
    normalizeScalar(in, out, 0);
  }

  /** Segments from {@code from} on. */
  private void normalizeScalar(double[] in, double[] out, int from) {
    int length = shape.size() / segments;
    double lowest = SegmentEdges.lowestSquares(eps, length);
    double[] first = new double[segments];
    double[] mean = new double[segments];
    double[] invStd = new double[segments];
    double[] scaledBy = null;
    for (int g = from, start = from * length; g < segments; g++, start += length) {
      int end = start + length;
      double shift = in[start];
      double m = shiftedSum(in, start, end, shift) / length;
      first[g] = shift;
      mean[g] = m;
      double squares = squaredDeviations(in, start, end, shift, m);
      invStd[g] = squares;
      if (!(squares >= lowest && squares < Double.POSITIVE_INFINITY)) {
        // The rare segment: squares beyond the double range (or NaN from non-finite input), or so
        // small beside a tiny eps that underflow may have taken their digits.
        if (squares < lowest && eps == 0 && SegmentEdges.constant(in, start, end)) {
          throw new NonFiniteResultException(SegmentEdges.constantRule(shape, segments, g));
        }
        scaledBy = scaledBy == null ? new double[segments] : scaledBy;
        scaledBy[g] = squares < lowest ? SegmentEdges.UP : SegmentEdges.DOWN;
      }
    }
    inverseStandardDeviations(invStd, from, length);
    for (int g = from, start = from * length; g < segments; g++, start += length) {
      int end = start + length;
      if (scaledBy != null && scaledBy[g] != 0) {
        SegmentEdges.normalizeScaled(in, out, start, end, scaledBy[g], eps, weight, bias, affineStride);
        continue;
      }
      double shift = first[g];
      double m = mean[g];
      double inv = invStd[g];
      if (affineStride == 1) {
        for (int i = start; i < end; i++) {
          out[i] = ((in[i] - shift) - m) * (inv * weight[i]) + bias[i];
        }
      } else {
        // Runs of S elements (one channel) share one weight and bias.
        for (int run = start, c = start / affineStride; run < end; run += affineStride, c++) {
          double scale = inv * weight[c];
          double b = bias[c];
          for (int i = run; i < run + affineStride; i++) {
            out[i] = ((in[i] - shift) - m) * scale + b;
          }
        }
      }
    }
  }

  void normalizeScalar(float[] in, float[] out) {
    int length = shape.size() / segments;
    double[] first = new double[segments];
    double[] mean = new double[segments];
    double[] invStd = new double[segments];
    for (int g = 0, start = 0; g < segments; g++, start += length) {
      int end = start + length;
      double shift = in[start];
      double m = shiftedSum(in, start, end, shift) / length;
      first[g] = shift;
      mean[g] = m;
      invStd[g] = squaredDeviations(in, start, end, shift, m);
      // Floats neither overflow nor underflow here (their squares lie within 1e-90 and 1e77), and
      // only equal values give squares of 0.
      if (invStd[g] == 0 && eps == 0) {
        throw new NonFiniteResultException(SegmentEdges.constantRule(shape, segments, g));
      }
    }
    inverseStandardDeviations(invStd, 0, length);
    for (int g = 0, start = 0; g < segments; g++, start += length) {
      int end = start + length;
      double shift = first[g];
      double m = mean[g];
      double inv = invStd[g];
      if (affineStride == 1) {
        for (int i = start; i < end; i++) {
          out[i] = (float) (((in[i] - shift) - m) * (inv * weight[i]) + bias[i]);
        }
      } else {
        for (int run = start, c = start / affineStride; run < end; run += affineStride, c++) {
          double scale = inv * weight[c];
          double b = bias[c];
          for (int i = run; i < run + affineStride; i++) {
            out[i] = (float) (((in[i] - shift) - m) * scale + b);
          }
        }
      }
    }
  }

  @Override
  public String problem(double[] in) {
    return eps != 0 || in.length != shape.size() ? null : SegmentEdges.constantSegment(in, shape, segments);
  }

  @Override
  public String problem(float[] in) {
    return eps != 0 || in.length != shape.size() ? null : SegmentEdges.constantSegment(in, shape, segments);
  }

  @Override
  public String problem(long[] in) {
    return eps != 0 || in.length != shape.size() ? null : problem(centered(in, new double[in.length]));
  }

  /**
   * Turns each segment's sum of squared deviations into 1 / sqrt(variance + eps), in one loop of
   * its own: with many small segments (group norm on tabular rows) the square roots and divisions
   * then pipeline instead of each waiting on its segment's sums.
   */
  private void inverseStandardDeviations(double[] squares, int from, int length) {
    for (int g = from; g < squares.length; g++) {
      squares[g] = 1.0 / Math.sqrt(squares[g] / length + eps);
    }
  }
  /*
   * The sums below keep four partial sums: a single running sum is one long chain of dependent
   * additions (about 4 cycles each), four chains overlap. Summing in four interleaved parts is also
   * at least as accurate as one running sum.
   */

  /** The sum of {@code in[i] - shift} over [start, end). */
  static double shiftedSum(double[] in, int start, int end, double shift) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int i = start;
    for (; i + 3 < end; i += 4) {
      s0 += in[i] - shift;
      s1 += in[i + 1] - shift;
      s2 += in[i + 2] - shift;
      s3 += in[i + 3] - shift;
    }
    for (; i < end; i++) {
      s0 += in[i] - shift;
    }
    return (s0 + s1) + (s2 + s3);
  }

  /** The sum of {@code in[i] - shift} over [start, end). */
  static double shiftedSum(float[] in, int start, int end, double shift) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int i = start;
    for (; i + 3 < end; i += 4) {
      s0 += in[i] - shift;
      s1 += in[i + 1] - shift;
      s2 += in[i + 2] - shift;
      s3 += in[i + 3] - shift;
    }
    for (; i < end; i++) {
      s0 += in[i] - shift;
    }
    return (s0 + s1) + (s2 + s3);
  }

  /** The sum of {@code ((in[i] - shift) - mean)^2} over [start, end). */
  static double squaredDeviations(double[] in, int start, int end, double shift, double mean) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int i = start;
    for (; i + 3 < end; i += 4) {
      double d0 = (in[i] - shift) - mean;
      double d1 = (in[i + 1] - shift) - mean;
      double d2 = (in[i + 2] - shift) - mean;
      double d3 = (in[i + 3] - shift) - mean;
      s0 += d0 * d0;
      s1 += d1 * d1;
      s2 += d2 * d2;
      s3 += d3 * d3;
    }
    for (; i < end; i++) {
      double d = (in[i] - shift) - mean;
      s0 += d * d;
    }
    return (s0 + s1) + (s2 + s3);
  }

  /** The sum of {@code ((in[i] - shift) - mean)^2} over [start, end). */
  static double squaredDeviations(float[] in, int start, int end, double shift, double mean) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int i = start;
    for (; i + 3 < end; i += 4) {
      double d0 = (in[i] - shift) - mean;
      double d1 = (in[i + 1] - shift) - mean;
      double d2 = (in[i + 2] - shift) - mean;
      double d3 = (in[i + 3] - shift) - mean;
      s0 += d0 * d0;
      s1 += d1 * d1;
      s2 += d2 * d2;
      s3 += d3 * d3;
    }
    for (; i < end; i++) {
      double d = (in[i] - shift) - mean;
      s0 += d * d;
    }
    return (s0 + s1) + (s2 + s3);
  }
}
