package io.sparknorm.core;

import java.math.BigInteger;

/**
 * Batch statistics from {@link ExactMoments}' exact sums: each the exact rational value (the std
 * the exact root of the exact variance), correctly rounded once (see {@link
 * ExactMoments#statistics(double)} for the formulas). BigInteger work per channel, never per value.
 */
final class ExactStatistics {
  private ExactStatistics() {}

  /**
   * The statistics of the values divided by scale; the caller has checked the scale, the count and
   * that every sum is finite, and flushed its stage.
   *
   * @throws StatisticsException when a mean or a variance is beyond the double range
   */
  static BatchStatistics of(Shape shape, long count, ExactSum[] sums, ExactSum[] squares, double scale) {
    int channels = sums.length;
    int[] exponent = new int[1];
    // k = km * 2^ke with km odd (1 and 0 for scale 1).
    BigInteger km = ExactMath.exact(scale, exponent);
    int ke = exponent[0] + km.getLowestSetBit();
    km = km.shiftRight(km.getLowestSetBit());
    String divided = scale == 1.0 ? "" : " divided by " + scale;
    BigInteger n = BigInteger.valueOf(count);
    BigInteger nk = n.multiply(km);
    BigInteger kSquared = km.multiply(km);
    BigInteger nSquared = n.multiply(n).multiply(kSquared);
    BigInteger nTimesNMinus1 = n.multiply(BigInteger.valueOf(count - 1)).multiply(kSquared);
    double[] mean = new double[channels];
    double[] residual = new double[channels];
    double[] variance = new double[channels];
    double[] unbiased = new double[channels];
    double[] std = new double[channels];
    for (int c = 0; c < channels; c++) {
      // S = a * 2^as, Q = b * 2^bs.
      BigInteger a = sums[c].unscaled(exponent);
      int as = exponent[0];
      BigInteger b = squares[c].unscaled(exponent);
      int bs = exponent[0];

      mean[c] = ExactMath.toDouble(a, as - ke, nk);
      if (Double.isInfinite(mean[c])) {
        throw new StatisticsException(NormalizationException.Rule.OVERFLOW, null, c, "batch norm statistics: the mean"
            + " of channel " + c + " of shape " + shape + divided + " is beyond the double range (above "
            + Double.MAX_VALUE + ")");
      }
      // S / (n k) - mean = (a 2^as - n km m 2^(ms + ke)) / (n km 2^ke).
      BigInteger m = ExactMath.exact(mean[c], exponent);
      int ms = exponent[0] + ke;
      int low = Math.min(as, ms);
      BigInteger lost = a.shiftLeft(as - low).subtract(nk.multiply(m).shiftLeft(ms - low));
      residual[c] = ExactMath.toDouble(lost, low - ke, nk);

      // n Q - S^2 = n b 2^bs - a^2 2^(2 as), >= 0 (Cauchy-Schwarz).
      low = Math.min(bs, 2 * as);
      BigInteger spread = n.multiply(b).shiftLeft(bs - low).subtract(a.multiply(a).shiftLeft(2 * as - low));
      if (spread.signum() < 0) {
        throw new IllegalStateException("channel " + c + ": n Q - S^2 < 0 (a bug)");
      }
      variance[c] = ExactMath.toDouble(spread, low - 2 * ke, nSquared);
      unbiased[c] = ExactMath.toDouble(spread, low - 2 * ke, nTimesNMinus1);
      std[c] = ExactMath.sqrtToDouble(spread, low - 2 * ke, nSquared);
      if (Double.isInfinite(variance[c])) {
        throw new StatisticsException(NormalizationException.Rule.OVERFLOW, null, c, "batch norm statistics: the"
            + " variance of channel " + c + " of shape " + shape + divided + " is beyond the double range (above "
            + Double.MAX_VALUE + "); the values are too far apart");
      }
    }
    return new BatchStatistics(shape, count, mean, residual, variance, unbiased, std, BatchStatistics.EXACT_SUMS);
  }
}
