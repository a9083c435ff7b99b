package io.sparknorm.core;

/**
 * Batch norm with given per-channel statistics: {@code y = (x - mean[c]) * scale[c] + bias[c]}
 * with {@code scale[c] = weight[c] / sqrt(var[c] + eps)}. The subtraction comes first so that data
 * far from zero (1e8 + noise) keeps its digits: folding the mean into the shift would cancel. For
 * the same reason the mean comes as a double plus its rounding residual, subtracted in turn.
 */
final class BatchNormalizer implements Normalizer {
  private static final long serialVersionUID = 1L;

  private final Shape shape;
  private final double[] mean;
  private final double[] meanResidual;
  private final double[] scale;
  private final double[] bias;
  /** For integer samples: an integer at the mean, and the mean less it (exact: a fraction, or 2^62). */
  private final long[] pivot;
  private final double[] meanLessPivot;

  BatchNormalizer(Shape shape, double[] mean, double[] meanResidual, double[] variance, double eps, Affine affine) {
    int channels = shape.channels();
    this.shape = shape;
    this.mean = mean.clone();
    this.meanResidual = meanResidual.clone();
    this.scale = affine.weightOrOnes(channels);
    this.bias = affine.biasOrZeros(channels);
    this.pivot = new long[channels];
    this.meanLessPivot = new double[channels];
    for (int c = 0; c < channels; c++) {
      scale[c] /= Math.sqrt(variance[c] + eps);
      pivot[c] = Math.abs(mean[c]) < 0x1p63 ? (long) Math.rint(mean[c]) : (long) Math.copySign(0x1p62, mean[c]);
      meanLessPivot[c] = mean[c] - pivot[c];
    }
  }

  @Override
  public Shape shape() {
    return shape;
  }

  @Override
  public void normalize(double[] in, double[] out) {
    int spatial = shape.spatialSize();
    if (spatial == 1) {
      // Tabular rows: one value per channel, one straight (vectorizable) loop.
      for (int c = 0; c < mean.length; c++) {
        out[c] = ((in[c] - mean[c]) - meanResidual[c]) * scale[c] + bias[c];
      }
      return;
    }
    for (int c = 0, start = 0; c < mean.length; c++, start += spatial) {
      double m = mean[c];
      double r = meanResidual[c];
      double s = scale[c];
      double b = bias[c];
      for (int i = start; i < start + spatial; i++) {
        out[i] = ((in[i] - m) - r) * s + b;
      }
    }
  }

  /** x - mean as (x - pivot) - (mean - pivot): the integer part exact, so longs beyond 2^53 keep their digits. */
  @Override
  public void normalize(long[] in, double[] out) {
    int spatial = shape.spatialSize();
    if (spatial == 1) {
      for (int c = 0; c < mean.length; c++) {
        out[c] = ((IntegerPivot.difference(in[c], pivot[c]) - meanLessPivot[c]) - meanResidual[c]) * scale[c] + bias[c];
      }
      return;
    }
    for (int c = 0, start = 0; c < mean.length; c++, start += spatial) {
      long p = pivot[c];
      double f = meanLessPivot[c];
      double r = meanResidual[c];
      double s = scale[c];
      double b = bias[c];
      for (int i = start; i < start + spatial; i++) {
        out[i] = ((IntegerPivot.difference(in[i], p) - f) - r) * s + b;
      }
    }
  }

  @Override
  public void normalize(float[] in, float[] out) {
    int spatial = shape.spatialSize();
    if (spatial == 1) {
      for (int c = 0; c < mean.length; c++) {
        out[c] = (float) (((in[c] - mean[c]) - meanResidual[c]) * scale[c] + bias[c]);
      }
      return;
    }
    for (int c = 0, start = 0; c < mean.length; c++, start += spatial) {
      double m = mean[c];
      double r = meanResidual[c];
      double s = scale[c];
      double b = bias[c];
      for (int i = start; i < start + spatial; i++) {
        out[i] = (float) (((in[i] - m) - r) * s + b);
      }
    }
  }
}
