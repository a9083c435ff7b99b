package io.sparknorm.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CentralMomentsTest {

  private static final MathContext MC = MathContext.DECIMAL128;

  /** n, mean, M2, M3, M4 of values[from, to) in 34-digit decimal arithmetic, two passes. */
  static double[] direct(double[] values, int from, int to) {
    BigDecimal sum = BigDecimal.ZERO;
    for (int i = from; i < to; i++) {
      sum = sum.add(new BigDecimal(values[i]), MC);
    }
    BigDecimal n = BigDecimal.valueOf(to - from);
    BigDecimal mean = sum.divide(n, MC);
    BigDecimal m2 = BigDecimal.ZERO;
    BigDecimal m3 = BigDecimal.ZERO;
    BigDecimal m4 = BigDecimal.ZERO;
    for (int i = from; i < to; i++) {
      BigDecimal d = new BigDecimal(values[i]).subtract(mean, MC);
      BigDecimal d2 = d.multiply(d, MC);
      m2 = m2.add(d2, MC);
      m3 = m3.add(d2.multiply(d, MC), MC);
      m4 = m4.add(d2.multiply(d2, MC), MC);
    }
    return new double[] {to - from, mean.doubleValue(), m2.doubleValue(), m3.doubleValue(), m4.doubleValue()};
  }

  /**
   * Asserts moments equal to the reference within rel, relative to each moment's natural scale
   * (|mean| + std for the mean, M2^(p/2) n^(1 - p/2) for Mp), so a near-zero M3 is not compared
   * relative to itself.
   */
  static void assertMoments(double[] expected, CentralMoments actual, double rel, String what) {
    assertEquals((long) expected[0], actual.n(), what + ": n");
    double n = expected[0];
    double std = Math.sqrt(expected[2] / n);
    assertEquals(expected[1], actual.mean(), rel * (Math.abs(expected[1]) + std), what + ": mean");
    assertEquals(expected[2], actual.m2(), rel * expected[2], what + ": M2");
    assertEquals(expected[3], actual.m3(), rel * n * std * std * std, what + ": M3");
    assertEquals(expected[4], actual.m4(), rel * expected[4], what + ": M4");
  }

  private static double[] skewedData(int n, long seed, double offset) {
    Random random = new Random(seed);
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = offset + Math.exp(random.nextGaussian()); // log-normal: M3 and M4 far from 0
    }
    return v;
  }

  @Test
  void blocksAgreeWithTheDirectTwoPassComputation() {
    for (double offset : new double[] {0, -3, 1e6}) {
      double[] v = skewedData(20_000, 7, offset);
      CentralMoments m = new CentralMoments();
      for (int from = 0; from < v.length; from += 256) {
        int to = Math.min(v.length, from + 256);
        double sum = 0;
        for (int i = from; i < to; i++) {
          sum += v[i];
        }
        m.addBlock(v, from, to, sum);
      }
      // Deviations from a mean of double precision: data whose mean is kappa standard deviations
      // away from 0 loses about log10(kappa) digits (the merges' mean differences), as any
      // one-pass or merged computation in double does.
      double[] d = direct(v, 0, v.length);
      double kappa = 1 + Math.abs(d[1]) / Math.sqrt(d[2] / d[0]);
      assertMoments(d, m, 1e-12 * kappa, "offset " + offset);
    }
  }

  @Test
  void mergeOfPartsEqualsOneBlockWithin1e12() {
    double[] v = skewedData(30_000, 11, 2.5);
    CentralMoments whole = block(v, 0, v.length);
    Random random = new Random(3);
    for (int trial = 0; trial < 20; trial++) {
      int a = 1 + random.nextInt(v.length - 2);
      int b = a + random.nextInt(v.length - a);
      CentralMoments merged = block(v, 0, a);
      CentralMoments right = block(v, b, v.length);
      right.merge(block(v, a, b));
      merged.merge(right);
      assertMoments(new double[] {whole.n(), whole.mean(), whole.m2(), whole.m3(), whole.m4()}, merged, 1e-12,
          "split " + a + ", " + b);
    }
  }

  @Test
  void skewnessAndKurtosisAreTheMomentRatios() {
    // Two equal point masses: skewness 0, kurtosis 1; a uniform grid: kurtosis near 1.8.
    double[] twoPoints = {-1, 1, -1, 1};
    CentralMoments m = block(twoPoints, 0, 4);
    assertEquals(0, m.skewness(), 1e-15);
    assertEquals(1, m.kurtosis(), 1e-15);
    assertEquals(1, m.variance(), 1e-15);
    assertEquals(4.0 / 3, m.unbiasedVariance(), 1e-15);
    double[] grid = new double[100_001];
    for (int i = 0; i < grid.length; i++) {
      grid[i] = i / 100_000.0;
    }
    assertEquals(1.8, block(grid, 0, grid.length).kurtosis(), 1e-4);
    // Exponential-like data: g1 and b2 against the direct values.
    double[] v = skewedData(10_000, 5, 0);
    double[] d = direct(v, 0, v.length);
    CentralMoments e = block(v, 0, v.length);
    assertEquals(Math.sqrt(d[0]) * d[3] / Math.pow(d[2], 1.5), e.skewness(), 1e-11);
    assertEquals(d[0] * d[4] / (d[2] * d[2]), e.kurtosis(), 1e-10);
  }

  @Test
  void emptyAndConstant() {
    CentralMoments empty = new CentralMoments();
    assertTrue(Double.isNaN(empty.mean()));
    assertTrue(Double.isNaN(empty.variance()));
    CentralMoments constant = block(new double[] {2.5, 2.5, 2.5}, 0, 3);
    assertEquals(2.5, constant.mean());
    assertEquals(0, constant.m2());
    assertTrue(Double.isNaN(constant.skewness()));
    empty.merge(constant);
    assertEquals(3, empty.n());
    assertEquals(2.5, empty.mean());
  }

  static CentralMoments block(double[] v, int from, int to) {
    double sum = 0;
    for (int i = from; i < to; i++) {
      sum += v[i];
    }
    CentralMoments m = new CentralMoments();
    m.addBlock(v, from, to, sum);
    return m;
  }
}
