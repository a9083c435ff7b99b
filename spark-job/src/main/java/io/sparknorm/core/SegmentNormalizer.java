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
   * @param perElementAffine true for layer norm's elementwise weight and bias (length C x S),
   *     false for per-channel ones (length C)
   */
  SegmentNormalizer(Shape shape, int segments, double eps, Affine affine, boolean perElementAffine) {
    this.shape = shape;
    this.segments = segments;
    this.eps = eps;
    int affineLength = perElementAffine ? shape.size() : shape.channels();
    this.affineStride = perElementAffine ? 1 : shape.spatialSize();
    this.weight = affine.weightOrOnes(affineLength);
    this.bias = affine.biasOrZeros(affineLength);
  }

  @Override
  public Shape shape() {
    return shape;
  }

  @Override
  public void normalize(double[] in, double[] out) {
    int length = shape.size() / segments;
    for (int start = 0; start < shape.size(); start += length) {
      int end = start + length;
      double first = in[start];
      double sum = 0;
      for (int i = start; i < end; i++) {
        sum += in[i] - first;
      }
      double mean = sum / length;
      double squares = 0;
      for (int i = start; i < end; i++) {
        double d = (in[i] - first) - mean;
        squares += d * d;
      }
      double invStd = 1.0 / Math.sqrt(squares / length + eps);
      if (affineStride == 1) {
        for (int i = start; i < end; i++) {
          out[i] = ((in[i] - first) - mean) * (invStd * weight[i]) + bias[i];
        }
      } else {
        // Runs of S elements (one channel) share one weight and bias.
        for (int run = start, c = start / affineStride; run < end; run += affineStride, c++) {
          double scale = invStd * weight[c];
          double shift = bias[c];
          for (int i = run; i < run + affineStride; i++) {
            out[i] = ((in[i] - first) - mean) * scale + shift;
          }
        }
      }
    }
  }

  @Override
  public void normalize(float[] in, float[] out) {
    int length = shape.size() / segments;
    for (int start = 0; start < shape.size(); start += length) {
      int end = start + length;
      double first = in[start];
      double sum = 0;
      for (int i = start; i < end; i++) {
        sum += in[i] - first;
      }
      double mean = sum / length;
      double squares = 0;
      for (int i = start; i < end; i++) {
        double d = (in[i] - first) - mean;
        squares += d * d;
      }
      double invStd = 1.0 / Math.sqrt(squares / length + eps);
      if (affineStride == 1) {
        for (int i = start; i < end; i++) {
          out[i] = (float) (((in[i] - first) - mean) * (invStd * weight[i]) + bias[i]);
        }
      } else {
        for (int run = start, c = start / affineStride; run < end; run += affineStride, c++) {
          double scale = invStd * weight[c];
          double shift = bias[c];
          for (int i = run; i < run + affineStride; i++) {
            out[i] = (float) (((in[i] - first) - mean) * scale + shift);
          }
        }
      }
    }
  }
}
