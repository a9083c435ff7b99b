package io.sparknorm.core;

import java.math.BigDecimal;
import java.math.MathContext;

/**
 * Mean and variances of some doubles in BigDecimal, for tests to hold results to: the values and their deviations
 * from the mean are exact, each division and square root rounded to {@code mc} (2000 digits leave nothing of any
 * double's rounding; fewer are faster over many values).
 *
 * @param mean  the sum divided by the count, to {@code mc}
 * @param m2    the sum of squared deviations from that mean
 */
public record ReferenceMoments(long count, BigDecimal mean, BigDecimal m2, MathContext mc) {
  /** More digits than the exact value of any double has (up to 767 significant digits). */
  public static final MathContext EXACT = new MathContext(2000);

  public static ReferenceMoments of(double... values) {
    return of(EXACT, values);
  }

  public static ReferenceMoments of(MathContext mc, double... values) {
    BigDecimal sum = BigDecimal.ZERO;
    for (double v : values) {
      sum = sum.add(new BigDecimal(v));
    }
    BigDecimal n = BigDecimal.valueOf(values.length);
    BigDecimal mean = sum.divide(n, mc);
    BigDecimal m2 = BigDecimal.ZERO;
    for (double v : values) {
      BigDecimal d = new BigDecimal(v).subtract(mean);
      m2 = m2.add(d.multiply(d));
    }
    return new ReferenceMoments(values.length, mean, m2, mc);
  }

  /** The biased variance (PyTorch's for normalizing). */
  public BigDecimal variance() {
    return m2.divide(BigDecimal.valueOf(count), mc);
  }

  /** The unbiased variance (divided by count - 1). */
  public BigDecimal unbiasedVariance() {
    return m2.divide(BigDecimal.valueOf(count - 1), mc);
  }

  /** (x - mean) / sqrt(var + eps), rounded once to a double. */
  public double normalized(double x, double eps) {
    return normalized(x, eps, 1, 0);
  }

  /** (x - mean) / sqrt(var + eps) * weight + bias, rounded once to a double. */
  public double normalized(double x, double eps, double weight, double bias) {
    BigDecimal std = variance().add(new BigDecimal(eps)).sqrt(mc);
    return new BigDecimal(x).subtract(mean).divide(std, mc).multiply(new BigDecimal(weight)).add(new BigDecimal(bias))
        .doubleValue();
  }
}
