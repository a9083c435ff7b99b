package io.sparknorm.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

/** {@link ExactMoments#statistics(double)}: the statistics of the values divided by a scale, each correctly rounded. */
class ExactMomentsScaleTest {

  private static final int SAMPLES = 5_000;
  /** Each sample holds 4 values of one channel. */
  private static final Shape SHAPE = Shape.of(1, 4);
  private static final double[] SCALES = {255, 3, 0.1, 1e-300, 1e300, Double.MIN_VALUE, 0x1p-1022, 1.0, 7 * 0x1p-60};

  private static List<double[]> data(DoubleSupplier kind) {
    List<double[]> samples = new ArrayList<>(SAMPLES);
    for (int s = 0; s < SAMPLES; s++) {
      double[] sample = new double[SHAPE.size()];
      for (int i = 0; i < sample.length; i++) {
        sample[i] = kind.getAsDouble();
      }
      samples.add(sample);
    }
    return samples;
  }

  /** An exact rational num / den (den > 0). */
  private record Ratio(BigInteger num, BigInteger den) {}

  /**
   * The exact {mean, meanResidual given the mean, var, varUnbiased} of the values divided by the
   * scale, from plain BigInteger sums on ExactReference's grid: every double is an integer over 2^G.
   * With S = sum / 2^G, Q = squares / 2^G, k = K / 2^G: S / (n k) = sum / (n K); (n Q - S^2) / (n^2
   * k^2) = (n squares 2^G - sum^2) / (n^2 K^2).
   */
  private static Ratio[] exact(List<double[]> samples, double scale, double roundedMean) {
    BigInteger sum = BigInteger.ZERO;
    BigInteger squares = BigInteger.ZERO;
    long count = 0;
    for (double[] sample : samples) {
      for (double x : sample) {
        sum = sum.add(ExactReference.scaled(x));
        squares = squares.add(ExactReference.scaledSquare(x));
        count++;
      }
    }
    BigInteger n = BigInteger.valueOf(count);
    BigInteger k = ExactReference.scaled(scale);
    assertEquals(ExactReference.scaledSlowly(scale), k);
    Ratio mean = new Ratio(sum, n.multiply(k));
    // S / (n k) - mean = (sum - n K mean) / (n K) = (sum 2^G - n K scaled(mean)) / (n K 2^G).
    Ratio residual = new Ratio(sum.shiftLeft(ExactReference.SCALE).subtract(n.multiply(k).multiply(ExactReference.scaled(roundedMean))),
        n.multiply(k).shiftLeft(ExactReference.SCALE));
    BigInteger spread = n.multiply(squares).shiftLeft(ExactReference.SCALE).subtract(sum.multiply(sum));
    Ratio var = new Ratio(spread, n.multiply(n).multiply(k).multiply(k));
    Ratio unbiased = new Ratio(spread, n.multiply(BigInteger.valueOf(count - 1)).multiply(k).multiply(k));
    return new Ratio[] {mean, residual, var, unbiased};
  }

  /** |num - den x| as an exact BigDecimal. */
  private static BigDecimal error(Ratio r, double x) {
    return new BigDecimal(r.num()).subtract(new BigDecimal(r.den()).multiply(new BigDecimal(x))).abs();
  }

  /** x is the double nearest to r: no neighbour is nearer, and of two as near, x is the even one. */
  private static void assertNearest(Ratio r, double x, String what) {
    assertTrue(Double.isFinite(x), what + ": " + x);
    assertEquals(Double.doubleToRawLongBits(ExactReference.nearest(r.num(), r.den())), Double.doubleToRawLongBits(x),
        what + ": " + x + " is not ExactReference's nearest double");
    BigDecimal own = error(r, x);
    for (double neighbour : new double[] {Math.nextDown(x), Math.nextUp(x)}) {
      if (Double.isInfinite(neighbour)) {
        continue;
      }
      int cmp = error(r, neighbour).compareTo(own);
      assertTrue(cmp > 0 || (cmp == 0 && (Double.doubleToRawLongBits(x) & 1) == 0),
          what + ": " + neighbour + " is nearer the exact value than " + x);
    }
  }

  private static boolean overflows(Ratio r) {
    return Double.isInfinite(ExactReference.nearest(r.num(), r.den()));
  }

  @Test
  void everyScaledStatisticIsTheExactValueCorrectlyRounded() {
    Random random = new Random(31);
    int checked = 0;
    int refused = 0;
    // Each kind in its own moments: a channel out of range for a scale fails the whole call.
    for (DoubleSupplier kind : HardValues.moreKinds(random)) {
      List<double[]> samples = data(kind);
      ExactMoments moments = new ExactMoments(SHAPE);
      samples.forEach(moments::update);
      for (double scale : SCALES) {
        String what = "scale " + scale + ", data starting " + samples.get(0)[0];
        Ratio[] exact = exact(samples, scale, 0.0);
        if (overflows(exact[0]) || overflows(exact[2])) {
          // A mean or a variance beyond the double range: refused, naming the scale.
          IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> moments.statistics(scale), what);
          String which = overflows(exact[0]) ? "mean" : "variance";
          assertEquals("batch norm statistics: the " + which + " of channel 0 of shape " + SHAPE + " divided by " + scale
              + " is beyond the double range (above " + Double.MAX_VALUE + ")"
              + (which.equals("mean") ? "" : "; the values are too far apart"), e.getMessage(), what);
          refused++;
          continue;
        }
        BatchStatistics stats = moments.statistics(scale);
        assertEquals((long) SAMPLES * 4, stats.count());
        assertEquals(BatchStatistics.EXACT_SUMS, stats.algorithm());
        double mean = stats.mean()[0];
        exact = exact(samples, scale, mean);
        assertNearest(exact[0], mean, what + ": mean");
        assertNearest(exact[1], stats.meanResidual()[0], what + ": mean residual");
        assertNearest(exact[2], stats.variance()[0], what + ": var");
        assertNearest(exact[3], stats.unbiasedVariance()[0], what + ": var_unbiased");
        double std = ExactReference.nearestSqrt(exact[2].num(), exact[2].den());
        assertEquals(Double.doubleToRawLongBits(std), Double.doubleToRawLongBits(stats.std()[0]),
            what + ": std " + stats.std()[0] + ", the root of the exact variance is nearest " + std);
        checked++;
      }
    }
    // The cases that must fit did, and the out-of-range ones were met.
    assertTrue(checked >= 40, "checked " + checked);
    assertTrue(refused >= 4, "refused " + refused);
  }

  @Test
  void scaleOneIsStatisticsBitForBit() {
    Random random = new Random(5);
    for (DoubleSupplier kind : HardValues.moreKinds(random)) {
      ExactMoments moments = new ExactMoments(Shape.of(3, 2));
      for (int s = 0; s < 2000; s++) {
        double[] sample = new double[6];
        for (int i = 0; i < 6; i++) {
          sample[i] = kind.getAsDouble();
        }
        moments.update(sample);
      }
      BatchStatistics plain = moments.statistics();
      BatchStatistics one = moments.statistics(1.0);
      for (double[][] pair : new double[][][] {{plain.mean(), one.mean()}, {plain.meanResidual(), one.meanResidual()},
          {plain.variance(), one.variance()}, {plain.unbiasedVariance(), one.unbiasedVariance()},
          {plain.std(), one.std()}}) {
        assertArrayEquals(bits(pair[0]), bits(pair[1]));
      }
      assertEquals(plain.count(), one.count());
    }
    // The refusals of statistics() are the same too: the variance message names no scale.
    ExactMoments far = new ExactMoments(Shape.of(1)).update(new double[] {1.5e308}).update(new double[] {-1.5e308});
    assertEquals(assertThrows(IllegalArgumentException.class, far::statistics).getMessage(),
        assertThrows(IllegalArgumentException.class, () -> far.statistics(1.0)).getMessage());
  }

  @Test
  void pixelsDividedBy255() {
    // The pixels 0, 15, ..., 240 once each (0..16 times 15); 15 / 255 = 1 / 17, so the mean is 8 / 17.
    ExactMoments moments = new ExactMoments(Shape.of(1, 17));
    double[] sample = new double[17];
    for (int i = 0; i < 17; i++) {
      sample[i] = 15 * i;
    }
    BatchStatistics stats = moments.update(sample).statistics(255);
    assertEquals(8.0 / 17.0, stats.mean()[0]); // one division, correctly rounded
    // var of 0..16 is (17^2 - 1) / 12 = 24; times (15 / 255)^2 = 1 / 17^2: 24 / 289.
    assertEquals(24.0 / 289.0, stats.variance()[0]);
    assertEquals(25.5 / 289.0, stats.unbiasedVariance()[0]); // 24 * 17 / 16
    // The residual is what 8/17 lost: 8/17 - double(8/17), correctly rounded.
    Ratio lost = new Ratio(BigInteger.valueOf(8).shiftLeft(ExactReference.SCALE)
        .subtract(BigInteger.valueOf(17).multiply(ExactReference.scaled(8.0 / 17.0))),
        BigInteger.valueOf(17).shiftLeft(ExactReference.SCALE));
    assertNearest(lost, stats.meanResidual()[0], "residual");
  }

  @Test
  void refusesAScaleThatIsNotAFinitePositiveNumber() {
    ExactMoments moments = new ExactMoments(Shape.of(2)).update(new double[] {1, 2}).update(new double[] {3, 4});
    for (double scale : new double[] {0.0, -0.0, -1.0, -Double.MIN_VALUE, Double.NaN, Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> moments.statistics(scale));
      assertEquals("scale is " + scale + ", must be a finite number > 0", e.getMessage());
    }
    assertEquals("scale is NaN, must be a finite number > 0",
        assertThrows(IllegalArgumentException.class, () -> moments.statistics(Double.NaN)).getMessage());
    // The scale is checked first; then the count, as statistics() does.
    ExactMoments one = new ExactMoments(Shape.of(2)).update(new double[] {1, 2});
    assertEquals("scale is -2.0, must be a finite number > 0",
        assertThrows(IllegalArgumentException.class, () -> one.statistics(-2)).getMessage());
    assertEquals(assertThrows(IllegalArgumentException.class, one::statistics).getMessage(),
        assertThrows(IllegalArgumentException.class, () -> one.statistics(255)).getMessage());
    // Non-finite values are refused whatever the scale.
    ExactMoments nan = new ExactMoments(Shape.of(1)).update(new double[] {1}).update(new double[] {Double.NaN});
    assertEquals("batch norm statistics: channel 0 of shape (1,) saw NaN; the values must be finite",
        assertThrows(IllegalArgumentException.class, () -> nan.statistics(255)).getMessage());
    assertEquals(Arrays.toString(new double[] {2.0 / 255, 3.0 / 255}), Arrays.toString(moments.statistics(255).mean()));
  }

  private static long[] bits(double[] values) {
    long[] bits = new long[values.length];
    for (int i = 0; i < values.length; i++) {
      bits[i] = Double.doubleToRawLongBits(values[i]);
    }
    return bits;
  }
}
