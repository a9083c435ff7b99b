package io.sparknorm.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Test;

/** CovariateShift's figures against exact ones, and its flags at the edges (constant, empty, small channels). */
class ShiftFiguresTest {

  private static ChannelProfile profile(double... values) {
    ChannelSketches s = new ChannelSketches(Shape.of(1));
    for (double v : values) {
      s.update(new double[] {v});
    }
    return StatisticsProfile.of(s, null).channel(0);
  }

  private static double[] generated(int n, long seed, DoubleUnaryOperator fromGaussian) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = fromGaussian.applyAsDouble(r.nextGaussian());
    }
    return x;
  }

  /** The two-sample Kolmogorov-Smirnov distance, exactly: sorted, each distinct value's ties taken together. */
  static double exactKs(double[] a, double[] b) {
    double[] x = a.clone();
    double[] y = b.clone();
    Arrays.sort(x);
    Arrays.sort(y);
    int i = 0;
    int j = 0;
    double ks = 0;
    while (i < x.length || j < y.length) {
      double v = j == y.length || (i < x.length && x[i] <= y[j]) ? x[i] : y[j];
      while (i < x.length && x[i] == v) {
        i++;
      }
      while (j < y.length && y[j] == v) {
        j++;
      }
      ks = Math.max(ks, Math.abs((double) i / x.length - (double) j / y.length));
    }
    return ks;
  }

  /** Wasserstein-1 of two samples of equal size, exactly: the mean distance of the sorted values paired. */
  static double exactWasserstein(double[] a, double[] b) {
    double[] x = a.clone();
    double[] y = b.clone();
    Arrays.sort(x);
    Arrays.sort(y);
    double sum = 0;
    for (int i = 0; i < x.length; i++) {
      sum += Math.abs(x[i] - y[i]);
    }
    return sum / x.length;
  }

  @Test
  void theSketchesKsIsWithinItsErrorOfTheExactOne() {
    int n = 200_000;
    double worst = 0;
    DoubleUnaryOperator[][] pairs = {
        {g -> g, g -> g}, // no difference
        {g -> g, g -> g + 0.05},
        {g -> g, g -> 1.1 * g},
        {g -> Math.rint(3 * g), g -> Math.rint(3 * g + 0.4)}, // integers: ties
        {g -> Math.exp(g), g -> Math.exp(0.8 * g + 0.1)},
        {g -> g < 0.5 ? 0 : g, g -> g < 0.3 ? 0 : g}}; // zero-heavy
    for (int k = 0; k < pairs.length; k++) {
      double[] a = generated(n, 2 * k, pairs[k][0]);
      double[] b = generated(n, 2 * k + 1, pairs[k][1]);
      ChannelShift shift = CovariateShift.compare(profile(a), profile(b));
      double exact = exactKs(a, b);
      assertTrue(shift.ksError() > 0, "the sketches estimate at 200,000 values");
      assertEquals(2 * KllSketchError.single(), shift.ksError(), 1e-15);
      assertTrue(Math.abs(shift.ks() - exact) <= shift.ksError(), "pair " + k + ": sketch " + shift.ks() + ", exact "
          + exact + ", error bound " + shift.ksError());
      worst = Math.max(worst, Math.abs(shift.ks() - exact) / shift.ksError());
    }
    System.out.printf("KS from sketches: at most %.3f of the stated error bound off the exact KS%n", worst);
  }

  /** KLL's rank error of one rank at k = 200. */
  static final class KllSketchError {
    static double single() {
      return org.apache.datasketches.kll.KllSketch.getNormalizedRankError(ChannelSketches.DEFAULT_K, false);
    }
  }

  @Test
  void whileTheSketchesHoldEveryValueTheFiguresAreExact() {
    double[] a = generated(150, 1, g -> Math.rint(4 * g));
    double[] b = generated(150, 2, g -> Math.rint(4 * g + 1.5));
    ChannelProfile ref = profile(a);
    ChannelProfile now = profile(b);
    assertFalse(ref.sketch().isEstimationMode());
    ChannelShift shift = CovariateShift.compare(ref, now);
    assertEquals(0, shift.ksError());
    assertEquals(exactKs(a, b), shift.ks(), 1e-15);
    assertEquals(exactWasserstein(a, b) / ref.std(), shift.wassersteinSd(), 1e-12);
    double meanA = Arrays.stream(a).average().orElseThrow();
    double meanB = Arrays.stream(b).average().orElseThrow();
    assertEquals((meanB - meanA) / ref.std(), shift.meanShiftSd(), 1e-12);
    assertEquals(now.var() / ref.var(), shift.varRatio(), 1e-12);
    double max = Arrays.stream(a).max().orElseThrow();
    double min = Arrays.stream(a).min().orElseThrow();
    assertEquals(Arrays.stream(b).filter(x -> x < min || x > max).count() / 150.0, shift.outOfRange(), 1e-15);
  }

  @Test
  void psiOverTheReferenceDecilesByHand() {
    double[] ref = new double[100];
    double[] now = new double[100];
    for (int i = 0; i < 100; i++) {
      ref[i] = i + 1; // deciles 10, 20, ..., 90
      now[i] = i / 2 + 1; // 1..50 twice: 20% in each of the first five bins, none in the rest
    }
    ChannelShift shift = CovariateShift.compare(profile(ref), profile(now));
    double floor = 0.5 / 100; // half a value of the 100 now, above MASS_FLOOR
    double expected = 5 * (0.2 - 0.1) * Math.log(2) + 5 * (floor - 0.1) * Math.log(floor / 0.1);
    assertEquals(expected, shift.psi(), 1e-12);
    assertEquals(0, shift.outOfRange());
    assertTrue(shift.flags().contains(ShiftFlag.SHIFTED));
    assertTrue(shift.explanations().get(ShiftFlag.SHIFTED).contains("PSI 1.77 is past the major bound 0.25 (moderate: 0.1)"),
        shift.explanations().toString());
    // A discrete reference: equal deciles are one edge, so its bins are distinct.
    double[] coins = new double[100];
    Arrays.fill(coins, 50, 100, 1);
    assertEquals(0, CovariateShift.compare(profile(coins), profile(coins)).psi(), 1e-15);
  }

  @Test
  void aConstantReferenceIsComparedByCounts() {
    double[] five = new double[1000];
    Arrays.fill(five, 5);
    ChannelShift same = CovariateShift.compare(profile(five), profile(five));
    assertEquals(Set.of(), same.flags());
    assertEquals(0, same.meanShiftSd());
    assertEquals(1, same.varRatio());
    assertEquals(0, same.ks());
    assertEquals(0, same.psi());
    // A few other values are chance (19 or fewer would all land in one sample of two equal ones one time in a million).
    double[] few = five.clone();
    Arrays.fill(few, 0, 15, 6);
    assertEquals(Set.of(), CovariateShift.compare(profile(five), profile(few)).flags());
    double[] many = five.clone();
    Arrays.fill(many, 0, 50, 6);
    ChannelShift moved = CovariateShift.compare(profile(five), profile(many));
    assertEquals(Set.of(ShiftFlag.SHIFTED, ShiftFlag.OUT_OF_RANGE), moved.flags());
    assertTrue(Double.isFinite(moved.meanShiftSd()) && moved.meanShiftSd() > 1e9, moved.toString());
    assertTrue(Double.isFinite(moved.varRatio()) && Double.isFinite(moved.wassersteinSd()), moved.toString());
    assertEquals(0.05, moved.outOfRange(), profile(many).rankError()); // the sketch of 1,000 values estimates
    double[] six = new double[1000];
    Arrays.fill(six, 6);
    // All moved: its one mode lost, a new one at 6.
    assertEquals(Set.of(ShiftFlag.values()), CovariateShift.compare(profile(five), profile(six)).flags());
  }

  @Test
  void withoutFiniteValuesThereIsNothingToCompare() {
    ChannelShift shift = CovariateShift.compare(profile(Double.NaN, Double.NaN), profile(1, 2, 3));
    assertEquals(Set.of(), shift.flags());
    assertTrue(Double.isNaN(shift.meanShiftSd()) && Double.isNaN(shift.ks()) && Double.isNaN(shift.psi()));
    assertEquals(0, shift.severity());
  }

  @Test
  void smallSamplesNeedLargeChanges() {
    DoubleUnaryOperator normal = g -> g;
    ChannelProfile ref = profile(generated(30, 1, normal));
    // Half a standard deviation in 30 values is chance (z about 2).
    assertEquals(Set.of(), CovariateShift.compare(ref, profile(generated(30, 2, g -> g + 0.5))).flags());
    assertTrue(CovariateShift.compare(ref, profile(generated(30, 2, g -> g + 3))).flags().contains(ShiftFlag.SHIFTED));
    // And a large sample a material change: 0.05 standard deviations is certain at 400,000 values, but small.
    ChannelProfile big = profile(generated(400_000, 3, normal));
    ChannelShift tiny = CovariateShift.compare(big, profile(generated(400_000, 4, g -> g + 0.05)));
    assertEquals(Set.of(), tiny.flags(), tiny.toString());
    ChannelShift small = CovariateShift.compare(big, profile(generated(400_000, 4, g -> g + 0.25)));
    assertTrue(small.flags().contains(ShiftFlag.SHIFTED), small.toString());
    assertTrue(small.explanations().get(ShiftFlag.SHIFTED).startsWith("The mean moved 0.2"),
        small.explanations().toString());
  }

  @Test
  void severityAndTheWorstChannel() {
    ChannelProfile ref = profile(generated(5_000, 1, g -> g));
    ChannelShift none = CovariateShift.compare(ref, profile(generated(5_000, 2, g -> g)));
    ChannelShift some = CovariateShift.compare(ref, profile(generated(5_000, 3, g -> g + 0.3)));
    ChannelShift more = CovariateShift.compare(ref, profile(generated(5_000, 4, g -> g + 0.6)));
    assertTrue(none.severity() < 1 && some.severity() >= 1 && more.severity() > some.severity());
    ShiftResult result = new ShiftResult(java.util.List.of(none, some, more));
    assertEquals(more, result.worst());
    assertEquals(2, result.flagged());
    assertEquals(2, (int) result.flagCounts().get(ShiftFlag.SHIFTED));
    assertEquals(0, (int) result.flagCounts().get(ShiftFlag.MODE_NEW));
    assertTrue(result.failsGate());
    assertFalse(new ShiftResult(java.util.List.of(none)).failsGate());
  }
}
