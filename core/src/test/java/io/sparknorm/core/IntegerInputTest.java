package io.sparknorm.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Integer samples on their exact values, against the exact rational references of the integer
 * goldens: longs beyond 2^53 go into the exact sums as integers and are normalized relative to an
 * integer pivot; smaller integers as the doubles that hold them exactly (as the Spark layer hands
 * them over).
 */
class IntegerInputTest {

  static Stream<IntegerGoldens.Case> cases() {
    return IntegerGoldens.cases().stream();
  }

  static Stream<IntegerGoldens.Case> batchCases() {
    return cases().filter(c -> c.method() == NormMethod.BATCH);
  }

  /** As the reader hands a sample over: doubles where every value is exact in one, else the longs. */
  private static boolean asLongs(long[] sample) {
    for (long v : sample) {
      if (Math.abs(v) > (1L << 53)) {
        return true;
      }
    }
    return false;
  }

  private static double[] doubles(long[] sample) {
    double[] d = new double[sample.length];
    for (int i = 0; i < d.length; i++) {
      d[i] = sample[i];
    }
    return d;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("batchCases")
  void batchStatisticsAreTheExactOnesCorrectlyRounded(IntegerGoldens.Case c) {
    ExactMoments moments = new ExactMoments(c.shape());
    for (long[] sample : c.input()) {
      if (asLongs(sample)) {
        moments.update(sample);
      } else {
        moments.update(doubles(sample));
      }
    }
    BatchStatistics s = moments.statistics();
    assertEquals(c.count(), s.count());
    for (int ch = 0; ch < c.shape().channels(); ch++) {
      assertEquals(c.mean()[ch], s.mean()[ch], 0, "mean[" + ch + "]");
      assertEquals(c.meanResidual()[ch], s.meanResidual()[ch], 0, "mean_residual[" + ch + "]");
      assertEquals(c.variance()[ch], s.variance()[ch], 0, "var[" + ch + "]");
      assertEquals(c.unbiasedVariance()[ch], s.unbiasedVariance()[ch], 0, "var_unbiased[" + ch + "]");
      assertEquals(c.std()[ch], s.std()[ch], 0, "std[" + ch + "]");
    }
  }

  @Test
  void theDefectsExampleHasItsExactStatistics() {
    BatchStatistics s = statisticsOf(IntegerGoldens.named("batch_c2_above2p24_int64"));
    assertEquals(1000000029.5, s.mean()[1], 0);
    assertEquals(299.25, s.variance()[1], 0);
    assertEquals(33.25, s.variance()[0], 0);
    BatchStatistics wide = statisticsOf(IntegerGoldens.named("batch_c2_above2p53_int64"));
    assertEquals(9007199254741002.0, wide.mean()[0], 0);
    assertEquals(0.5, wide.meanResidual()[0], 0);
    assertEquals(33.25, wide.variance()[0], 0);
  }

  private static BatchStatistics statisticsOf(IntegerGoldens.Case c) {
    ExactMoments moments = new ExactMoments(c.shape());
    for (long[] sample : c.input()) {
      moments.update(sample);
    }
    return moments.statistics();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void normalizedValuesAreWithinAFloatUlpOfTheExactOnes(IntegerGoldens.Case c) {
    Normalizer normalizer = c.normalizer();
    for (int i = 0; i < c.input().length; i++) {
      long[] sample = c.input()[i];
      double[] out = new double[sample.length];
      if (asLongs(sample)) {
        normalizer.normalize(sample, out);
      } else {
        normalizer.normalize(doubles(sample), out);
      }
      for (int j = 0; j < out.length; j++) {
        double exact = c.exactOutput()[i][j];
        assertEquals(exact, out[j], 1e-12 * Math.max(1, Math.abs(exact)), c + " row " + i + " [" + j + "]");
        assertEquals(exact, (float) out[j], IntegerGoldens.floatUlp(exact), c + " row " + i + " [" + j + "] as float");
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void theLongPathGivesTheDoublePathsValuesWhereBothApply(IntegerGoldens.Case c) {
    Normalizer normalizer = c.normalizer();
    for (long[] sample : c.input()) {
      if (asLongs(sample)) {
        continue; // no exact double path to compare with
      }
      double[] viaLongs = new double[sample.length];
      normalizer.normalize(sample, viaLongs);
      double[] viaDoubles = normalizer.apply(doubles(sample));
      for (int j = 0; j < sample.length; j++) {
        assertEquals(viaDoubles[j], viaLongs[j], 1e-13 * Math.max(1, Math.abs(viaDoubles[j])), c + " [" + j + "]");
      }
    }
  }

  @Test
  void casesReachBeyondBothFloatAndDoublePrecision() {
    assertTrue(cases().filter(IntegerGoldens.Case::beyondDoubles).map(IntegerGoldens.Case::method).distinct()
        .count() == 4, "every method has a case beyond 2^53");
    assertTrue(cases().anyMatch(c -> !c.isLong() && !c.beyondDoubles()), "int32 cases");
  }

  @Test
  void exactSumHoldsEveryLongAndItsSquare() {
    Random random = new Random(30);
    ExactSum sum = new ExactSum();
    ExactSum squares = new ExactSum();
    BigInteger s = BigInteger.ZERO;
    BigInteger q = BigInteger.ZERO;
    long[] edges = {Long.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE + 1, (1L << 53) + 1, -(1L << 62), 0, 1, -1};
    for (int i = 0; i < 5000; i++) {
      long v = i < edges.length ? edges[i] : random.nextLong() >> random.nextInt(64);
      sum.addInteger(v);
      squares.addSquareOfInteger(v);
      BigInteger b = BigInteger.valueOf(v);
      s = s.add(b);
      q = q.add(b.multiply(b));
    }
    assertEquals(s, sum.toBigDecimal().toBigIntegerExact());
    assertEquals(q, squares.toBigDecimal().toBigIntegerExact());
  }

  @Test
  void aConstantSegmentOfWideLongsWithEpsZeroIsRefusedNotWrittenAsNaN() {
    long wide = (1L << 60) + 1;
    long[] sample = {wide, wide, wide + 3, wide - 3};
    Normalizer group = Normalizers.group(Shape.of(4), 2, 0, Affine.none());
    assertTrue(group.problem(sample).contains("variance 0"), group.problem(sample));
    assertThrows(NonFiniteResultException.class, () -> group.normalize(sample, new double[4]));
    long[] apart = {wide, wide + 1, wide + 3, wide - 3};
    assertNull(group.problem(apart));
    double[] out = new double[4];
    group.normalize(apart, out);
    assertArrayEquals(new double[] {-1, 1, 1, -1}, out, 0);
  }

  @Test
  void aPivotFarFromTheValuesStillSubtractsRight() {
    assertEquals(0x1p64, IntegerPivot.difference(Long.MAX_VALUE, Long.MIN_VALUE), 0);
    assertEquals(-0x1p64, IntegerPivot.difference(Long.MIN_VALUE, Long.MAX_VALUE), 0);
    assertEquals(3.0, IntegerPivot.difference((1L << 53) + 4, (1L << 53) + 1), 0);
  }
}
