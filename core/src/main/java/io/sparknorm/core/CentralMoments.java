package io.sparknorm.core;

/**
 * Mergeable central moments up to the fourth, in double: the count n, the mean, and the sums of
 * the powers of the deviations from it, M2 = sum (x - mean)^2, M3 = sum (x - mean)^3 and
 * M4 = sum (x - mean)^4. Two summaries combine with the pairwise formulas of Pébay (2008, "Formulas
 * for robust, one-pass parallel computation of covariances and arbitrary-order statistical
 * moments", Sandia report SAND2008-6212; the same as Terriberry's): with delta = mean_b - mean_a,
 *
 * <pre>
 *   n    = na + nb
 *   mean = mean_a + delta nb / n
 *   M2   = M2a + M2b + delta^2 na nb / n
 *   M3   = M3a + M3b + delta^3 na nb (na - nb) / n^2 + 3 delta (na M2b - nb M2a) / n
 *   M4   = M4a + M4b + delta^4 na nb (na^2 - na nb + nb^2) / n^3
 *          + 6 delta^2 (na^2 M2b + nb^2 M2a) / n^2 + 4 delta (na M3b - nb M3a) / n
 * </pre>
 *
 * <p>Values come in blocks ({@link #addBlock}): the block's own moments are computed in two passes
 * (its mean, then the powers of the deviations, with the first-order correction for the rounding
 * of the block's mean), then merged in with the formulas above. That costs no division a value,
 * unlike the one-value-at-a-time form of the same update, and is more accurate.
 *
 * <p>These are the report's moments (skewness, kurtosis, the bimodality coefficient); the exact
 * batch statistics are {@link ExactMoments}'. Values near the double range's ends overflow the
 * fourth powers (above about 1e77): M4, then the kurtosis, become infinite. Not thread-safe.
 */
public final class CentralMoments {
  private long n;
  private double mean;
  private double m2;
  private double m3;
  private double m4;

  /** No values. */
  public CentralMoments() {}

  /** A summary from its parts (as {@link #n()}, {@link #mean()}, ...) return them. */
  public CentralMoments(long n, double mean, double m2, double m3, double m4) {
    if (n < 0) {
      throw new IllegalArgumentException("central moments: negative count " + n);
    }
    this.n = n;
    this.mean = n == 0 ? 0 : mean;
    this.m2 = n == 0 ? 0 : m2;
    this.m3 = n == 0 ? 0 : m3;
    this.m4 = n == 0 ? 0 : m4;
  }

  public long n() {
    return n;
  }

  public double mean() {
    return n == 0 ? Double.NaN : mean;
  }

  public double m2() {
    return m2;
  }

  public double m3() {
    return m3;
  }

  public double m4() {
    return m4;
  }

  /**
   * Folds values[from, to) in; every value must be finite. {@code sum} is their sum as the caller
   * added them in order (the block's mean is sum / count; an infinite sum of finite values, which
   * overflowed, is recomputed scaled).
   */
  public void addBlock(double[] values, int from, int to, double sum) {
    int count = to - from;
    if (count <= 0) {
      return;
    }
    double inverse = 1.0 / count;
    double blockMean = sum * inverse;
    if (Double.isInfinite(blockMean)) {
      blockMean = 0;
      for (int i = from; i < to; i++) {
        blockMean += values[i] * inverse;
      }
    }
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    double s4 = 0;
    for (int i = from; i < to; i++) {
      double d = values[i] - blockMean;
      double d2 = d * d;
      s1 += d;
      s2 += d2;
      s3 += d2 * d;
      s4 += d2 * d2;
    }
    // The deviations were taken from blockMean, off the block's true mean by shift = s1 / count
    // (the rounding of the mean): move the power sums to the true mean.
    double shift = s1 * inverse;
    double shift2 = shift * shift;
    double b2 = s2 - count * shift2;
    double b3 = s3 - 3 * shift * s2 + 2 * count * shift2 * shift;
    double b4 = s4 - 4 * shift * s3 + 6 * shift2 * s2 - 3 * count * shift2 * shift2;
    combine(count, blockMean + shift, Math.max(b2, 0), b3, Math.max(b4, 0));
  }

  /** Folds another summary in (which is left as it was). */
  public void merge(CentralMoments other) {
    combine(other.n, other.mean, other.m2, other.m3, other.m4);
  }

  /** Pébay's pairwise update with a summary (nb, meanB, m2b, m3b, m4b). */
  private void combine(long nb, double meanB, double m2b, double m3b, double m4b) {
    if (nb == 0) {
      return;
    }
    if (n == 0) {
      n = nb;
      mean = meanB;
      m2 = m2b;
      m3 = m3b;
      m4 = m4b;
      return;
    }
    double na = n;
    double b = nb;
    double total = na + b;
    double delta = meanB - mean;
    double deltaN = delta / total;
    double deltaN2 = deltaN * deltaN;
    double ab = na * b;
    double newM4 = m4 + m4b + delta * deltaN * deltaN2 * ab * (na * na - ab + b * b)
        + 6 * deltaN2 * (na * na * m2b + b * b * m2) + 4 * deltaN * (na * m3b - b * m3);
    double newM3 = m3 + m3b + delta * deltaN2 * ab * (na - b) + 3 * deltaN * (na * m2b - b * m2);
    double newM2 = m2 + m2b + delta * deltaN * ab;
    mean += deltaN * b;
    m2 = newM2;
    m3 = newM3;
    m4 = newM4;
    n += nb;
  }

  /** The biased variance M2 / n, as normalization uses (NaN without values). */
  public double variance() {
    return n == 0 ? Double.NaN : m2 / n;
  }

  /** The unbiased variance M2 / (n - 1) (NaN below two values). */
  public double unbiasedVariance() {
    return n < 2 ? Double.NaN : m2 / (n - 1);
  }

  /**
   * The skewness g1 = sqrt(n) M3 / M2^(3/2), the moment ratio without small-sample correction
   * (scipy.stats.skew with bias=True); NaN when M2 = 0.
   */
  public double skewness() {
    return n == 0 || m2 <= 0 ? Double.NaN : Math.sqrt((double) n) * m3 / (m2 * Math.sqrt(m2));
  }

  /**
   * The kurtosis b2 = n M4 / M2^2, <b>not</b> excess: 3 for a normal distribution, 1.8 for a
   * uniform one, 1 for two equal point masses (scipy.stats.kurtosis with fisher=False, bias=True);
   * NaN when M2 = 0.
   */
  public double kurtosis() {
    return n == 0 || m2 <= 0 ? Double.NaN : n * (m4 / (m2 * m2));
  }
}
