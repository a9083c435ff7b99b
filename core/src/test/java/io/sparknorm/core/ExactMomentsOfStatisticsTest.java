package io.sparknorm.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Moments standing for given statistics ({@link ExactMoments#ofStatistics}): the exact sums of values with that mean
 * and variance, so that merging them with more values gives the statistics of all the values.
 */
class ExactMomentsOfStatisticsTest {
  private static final Shape TWO = Shape.of(2);

  private static ExactMoments of(double[][] samples) {
    ExactMoments moments = new ExactMoments(TWO);
    for (double[] sample : samples) {
      moments.update(sample);
    }
    return moments;
  }

  private static long[] bits(double[] values) {
    long[] bits = new long[values.length];
    for (int i = 0; i < values.length; i++) {
      bits[i] = Double.doubleToRawLongBits(values[i]);
    }
    return bits;
  }

  /** Values whose mean and variances are exact doubles: the statistics stand for the very same sums. */
  @Test
  void exactStatisticsGiveTheSameSumsBiasedOrUnbiased() {
    double[][] a = {{0, -3}, {1, 5}, {2, 0.5}, {3, 7}, {4, -1.5}};
    ExactMoments data = of(a);
    BatchStatistics stats = data.statistics();
    assertEquals(2.0, stats.variance()[0]);
    assertEquals(2.5, stats.unbiasedVariance()[0]);
    for (boolean unbiased : new boolean[] {false, true}) {
      ExactMoments seeded = ExactMoments.ofStatistics(TWO, 5, stats.mean(), stats.meanResidual(),
          unbiased ? stats.unbiasedVariance() : stats.variance(), unbiased);
      assertEquals(5, seeded.count());
      assertEquals(data.sum(0), seeded.sum(0), "unbiased " + unbiased);
      assertEquals(data.sumOfSquares(0), seeded.sumOfSquares(0), "unbiased " + unbiased);
    }
  }

  /** Seed of A merged with B: the statistics of A and B together, bit for bit, when A's statistics are exact. */
  @Test
  void aSeedMergedWithMoreValuesGivesTheStatisticsOfAll() {
    double[][] a = {{1, 10}, {2, 20}, {3, 30}, {6, 60}};
    Random random = new Random(7);
    double[][] b = new double[1000][];
    for (int i = 0; i < b.length; i++) {
      b[i] = new double[] {random.nextGaussian() * 3 + 1, random.nextDouble() * 1e6};
    }
    BatchStatistics sa = of(a).statistics();
    ExactMoments merged = ExactMoments.ofStatistics(TWO, 4, sa.mean(), sa.meanResidual(), sa.variance(), false)
        .merge(of(b));
    double[][] all = new double[a.length + b.length][];
    System.arraycopy(a, 0, all, 0, a.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    BatchStatistics expected = of(all).statistics();
    BatchStatistics actual = merged.statistics();
    assertEquals(expected.count(), actual.count());
    assertArrayEquals(bits(expected.mean()), bits(actual.mean()));
    assertArrayEquals(bits(expected.variance()), bits(actual.variance()));
    assertArrayEquals(bits(expected.unbiasedVariance()), bits(actual.unbiasedVariance()));
  }

  /** Rounded statistics of many values give back their own mean and biased variance, and survive the byte form. */
  @Test
  void roundedStatisticsComeBackAsThemselves() {
    Random random = new Random(11);
    double[][] a = new double[5000][];
    for (int i = 0; i < a.length; i++) {
      a[i] = new double[] {1e8 + random.nextGaussian(), random.nextGaussian() * 1e-3};
    }
    BatchStatistics stats = of(a).statistics();
    ExactMoments seeded = ExactMoments.ofStatistics(TWO, stats.count(), stats.mean(), stats.meanResidual(),
        stats.variance(), false);
    BatchStatistics back = ExactMoments.fromBytes(seeded.toBytes()).statistics();
    assertArrayEquals(bits(stats.mean()), bits(back.mean()));
    assertArrayEquals(bits(stats.variance()), bits(back.variance()));
  }

  @Test
  void refusesACountBelowTwoAndValuesThatAreNotFinite() {
    double[] two = {0, 0};
    assertThrows(IllegalArgumentException.class, () -> ExactMoments.ofStatistics(TWO, 1, two, two, two, false));
    assertThrows(IllegalArgumentException.class,
        () -> ExactMoments.ofStatistics(TWO, 3, new double[] {Double.NaN, 0}, two, two, false));
    assertThrows(IllegalArgumentException.class,
        () -> ExactMoments.ofStatistics(TWO, 3, two, two, new double[] {-1, 0}, true));
  }
}
