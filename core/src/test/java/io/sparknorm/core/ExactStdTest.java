package io.sparknorm.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

/**
 * The standard deviation of {@link ExactMoments}' statistics: the root of the exact variance,
 * rounded once (Math.sqrt of the rounded variance rounds twice), against {@link
 * ExactReference#nearestSqrt}, which compares the neighbours' midpoints squared exactly.
 */
class ExactStdTest {

  private static long bits(double x) {
    return Double.doubleToRawLongBits(x);
  }

  private static BatchStatistics statistics(double... values) {
    ExactMoments moments = new ExactMoments(Shape.of(1));
    for (double x : values) {
      moments.update(new double[] {x});
    }
    return moments.statistics();
  }

  private static double referenceStd(double... values) {
    ExactReference.Sums sums = new ExactReference.Sums();
    for (double x : values) {
      sums.add(x);
    }
    return sums.std();
  }

  @Test
  void theIssuesThreeRows() {
    BatchStatistics stats = statistics(0.1, 0.1, 0.2);
    // The exact std of the three doubles is 0.0471404520791031707...; 0.04714045207910317 is nearest.
    assertEquals(bits(0.04714045207910317), bits(stats.std()[0]));
    assertEquals(bits(referenceStd(0.1, 0.1, 0.2)), bits(stats.std()[0]));
    // The root of the rounded variance is one ulp above.
    assertEquals(0.047140452079103175, Math.sqrt(stats.variance()[0]));
  }

  @Test
  void exactSquaresTiesAndTheEdgesOfTheRange() {
    assertEquals(1.0, statistics(1, 3).std()[0]); // var 1: an exact square, no rounding
    assertEquals(0.0, statistics(5, 5, 5).std()[0]);
    assertEquals(1.5, statistics(-1, 2).std()[0]);
    // +-2^-1074: the variance 2^-2148 rounds to 0, its root is the smallest subnormal exactly.
    BatchStatistics tiny = statistics(Double.MIN_VALUE, -Double.MIN_VALUE);
    assertEquals(0.0, tiny.variance()[0]);
    assertEquals(Double.MIN_VALUE, tiny.std()[0]);
    // 0 and 2^-1074: var 2^-2150, std 2^-1075, halfway between 0 and 2^-1074: the even one, 0.
    assertEquals(bits(0.0), bits(statistics(0, Double.MIN_VALUE).std()[0]));
    // 0 and 3 2^-1074: std 1.5 2^-1074, halfway again: the even one, 2 2^-1074.
    assertEquals(2 * Double.MIN_VALUE, statistics(0, 3 * Double.MIN_VALUE).std()[0]);
    // 0, 0, 0 and 4 2^-1074: var 3 2^-2148, std 1.73 2^-1074; the variance itself rounds to 3 2^-2148 = 0.
    BatchStatistics subnormal = statistics(0, 0, 0, 4 * Double.MIN_VALUE);
    assertEquals(0.0, subnormal.variance()[0]);
    assertEquals(2 * Double.MIN_VALUE, subnormal.std()[0]);
    // The largest variance that fits: +-1.3e154 gives var 1.69e308, std the value itself.
    double big = 1.3e154;
    assertEquals(bits(big), bits(statistics(big, -big).std()[0]));
    assertEquals(bits(referenceStd(big, -big, 0.5 * big)), bits(statistics(big, -big, 0.5 * big).std()[0]));
    // Given statistics keep the root of the variance given.
    BatchStatistics given = new BatchStatistics(Shape.of(2), 0, new double[] {0, 0}, new double[] {2, 0.0225},
        new double[] {Double.NaN, Double.NaN});
    assertEquals(Math.sqrt(2), given.std()[0]);
    assertEquals(0.15, given.std()[1]);
    // Renaming the algorithm keeps the exact roots.
    BatchStatistics three = statistics(0.1, 0.1, 0.2);
    assertEquals(bits(three.std()[0]), bits(three.withAlgorithm("x").std()[0]));
  }

  /** Per channel, a kind of data: plain noise, decimals, magnitudes across the range, subnormals, huge. */
  private static DoubleSupplier kind(int c, Random random) {
    switch (c % 6) {
      case 0:
        return random::nextGaussian;
      case 1:
        return () -> random.nextInt(1000) / 10.0;
      case 2:
        return () -> (1 + random.nextDouble()) * Math.pow(10, -30 + 60 * random.nextDouble());
      case 3:
        return () -> Double.longBitsToDouble(random.nextLong() & 0x000F_FFFF_FFFF_FFFFL);
      case 4:
        return () -> 1e150 * random.nextGaussian();
      default:
        return () -> 1e8 + random.nextInt(7);
    }
  }

  @Test
  void manyRandomChannelsAreCorrectlyRounded() {
    Random random = new Random(7);
    int channels = 3000;
    int values = 5;
    Shape shape = Shape.of(channels);
    ExactMoments moments = new ExactMoments(shape);
    double[][] data = new double[values][channels];
    for (int c = 0; c < channels; c++) {
      DoubleSupplier kind = kind(c, random);
      for (int r = 0; r < values; r++) {
        data[r][c] = kind.getAsDouble();
      }
    }
    for (double[] row : data) {
      moments.update(row);
    }
    BatchStatistics stats = moments.statistics();
    double[] std = stats.std();
    double[] variance = stats.variance();
    int[] byKind = new int[6];
    for (int c = 0; c < channels; c++) {
      double[] column = new double[values];
      for (int r = 0; r < values; r++) {
        column[r] = data[r][c];
      }
      double expected = referenceStd(column);
      assertEquals(bits(expected), bits(std[c]), "channel " + c + ": expected " + expected + ", got " + std[c]);
      if (bits(Math.sqrt(variance[c])) != bits(expected)) {
        byKind[c % 6]++;
      }
    }
    // Rounding twice misses often (here on one in seven Gaussian channels, and on nearly every channel
    // whose variance is subnormal): the test would see it.
    String differed = "the root of the rounded variance differed on " + Arrays.toString(byKind) + " of "
        + channels / 6 + " channels of each kind";
    assertTrue(byKind[0] > channels / 6 / 10, differed);
    assertTrue(byKind[3] > channels / 6 * 9 / 10, differed);
  }

  @Test
  void sqrtOfRandomRationals() {
    Random random = new Random(11);
    int differs = 0;
    for (int i = 0; i < 20_000; i++) {
      BigInteger num = new BigInteger(1 + random.nextInt(200), random);
      BigInteger den = new BigInteger(1 + random.nextInt(200), random).add(BigInteger.ONE);
      int exp2 = random.nextInt(4200) - 2100;
      if (i % 4 == 0) {
        // Squares of whole numbers of up to 63 bits: exact roots, and roots to round.
        BigInteger root = BigInteger.valueOf(random.nextLong() >>> (1 + random.nextInt(12)));
        num = root.multiply(root);
        den = BigInteger.ONE;
        exp2 = 2 * (random.nextInt(2100) - 1100);
      } else if (i % 4 == 1) {
        // Squares of midpoints between two doubles (54 bits, the last one set): ties, to the even one.
        BigInteger root = BigInteger.valueOf(((random.nextLong() >>> 11) | (1L << 52)) << 1 | 1);
        num = root.multiply(root);
        den = BigInteger.ONE;
        exp2 = 2 * (random.nextInt(2100) - 1100);
      }
      BigInteger n = exp2 >= 0 ? num.shiftLeft(exp2) : num;
      BigInteger d = exp2 >= 0 ? den : den.shiftLeft(-exp2);
      long k = (long) n.bitLength() - d.bitLength(); // num 2^exp2 / den < 2^(k + 1)
      double expected;
      if (k > 2100) {
        expected = Double.POSITIVE_INFINITY; // the root is above 2^1049
      } else if (k > 2040) {
        continue; // near the top of the range, where the reference's midpoints stop
      } else {
        expected = ExactReference.nearestSqrt(n, d);
      }
      double actual = ExactMath.sqrtToDouble(num, exp2, den);
      assertEquals(bits(expected), bits(actual), num + " * 2^" + exp2 + " / " + den);
      if (Double.isFinite(expected) && bits(Math.sqrt(ExactMath.toDouble(num, exp2, den))) != bits(expected)) {
        differs++;
      }
    }
    assertNotEquals(0, differs);
  }
}
