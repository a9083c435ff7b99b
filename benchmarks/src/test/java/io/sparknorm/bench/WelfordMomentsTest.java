package io.sparknorm.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.ReferenceMoments;
import io.sparknorm.core.Shape;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WelfordMomentsTest {

  /**
   * The baseline's accuracy on 1e8 + noise, which keeps it a fair rival of the exact statistics:
   * the variance within 1e-15 relative of the exact value for samples with spatial positions
   * (two-pass per sample, then Chan), within 2e-14 for one value per channel per sample (Welford's
   * running update rounds once a value, so its error grows with the count).
   */
  private static final double VARIANCE_RELATIVE = 1e-15;
  private static final double WELFORD_VARIANCE_RELATIVE = 2e-14;

  /**
   * Exact mean, biased and unbiased variance of one channel in BigDecimal (34 digits), each rounded
   * once to double.
   */
  private static double[] exactMeanAndVariance(double[] values) {
    ReferenceMoments exact = ReferenceMoments.of(MathContext.DECIMAL128, values);
    return new double[] {exact.mean().doubleValue(), exact.variance().doubleValue(),
        exact.unbiasedVariance().doubleValue()};
  }

  private static double relativeError(double actual, double expected) {
    return Math.abs(actual - expected) / Math.abs(expected);
  }

  @Test
  void oneValuePerSampleOfLargeOffsetPlusNoiseIsExactTo2e14Relative() {
    for (long seed = 1; seed <= 10; seed++) {
      oneValuePerSampleOfLargeOffset(seed);
    }
  }

  private static void oneValuePerSampleOfLargeOffset(long seed) {
    Random random = new Random(seed);
    int n = 100_000;
    double[] values = new double[n];
    WelfordMoments moments = new WelfordMoments(Shape.of(1));
    for (int i = 0; i < n; i++) {
      values[i] = 1e8 + 0.1 * random.nextGaussian();
      moments.update(new double[] {values[i]});
    }
    double[] exact = exactMeanAndVariance(values);
    BatchStatistics stats = moments.statistics();
    assertEquals(n, stats.count());
    assertTrue(relativeError(stats.variance()[0], exact[1]) <= WELFORD_VARIANCE_RELATIVE,
        "seed " + seed + ": variance " + stats.variance()[0] + " vs exact " + exact[1] + ": relative error "
            + relativeError(stats.variance()[0], exact[1]));
    assertTrue(relativeError(stats.unbiasedVariance()[0], exact[2]) <= WELFORD_VARIANCE_RELATIVE,
        "unbiased variance " + stats.unbiasedVariance()[0] + " vs exact " + exact[2] + ": relative error "
            + relativeError(stats.unbiasedVariance()[0], exact[2]));
    assertTrue(relativeError(stats.mean()[0], exact[0]) < 1e-15, "mean " + stats.mean()[0] + " vs exact " + exact[0]);

    // The naive formula on the same data is far off: the reason this class exists.
    double sum = 0;
    double sumOfSquares = 0;
    for (double v : values) {
      sum += v;
      sumOfSquares += v * v;
    }
    double naive = sumOfSquares / n - (sum / n) * (sum / n);
    assertTrue(relativeError(naive, exact[1]) > 1e-3, "naive variance " + naive + " should be wrong");
  }

  @Test
  void spatialSamplesOfLargeOffsetStayExact() {
    Random random = new Random(7);
    Shape shape = Shape.of(2, 50);
    WelfordMoments moments = new WelfordMoments(shape);
    int samples = 400;
    double[][] channelValues = new double[2][samples * 50];
    for (int s = 0; s < samples; s++) {
      double[] sample = new double[shape.size()];
      for (int i = 0; i < sample.length; i++) {
        int c = i / 50;
        sample[i] = (c == 0 ? 1e8 : -3e7) + 0.1 * random.nextGaussian();
        channelValues[c][s * 50 + i % 50] = sample[i];
      }
      moments.update(sample);
    }
    BatchStatistics stats = moments.statistics();
    for (int c = 0; c < 2; c++) {
      double[] exact = exactMeanAndVariance(channelValues[c]);
      assertTrue(relativeError(stats.variance()[c], exact[1]) <= VARIANCE_RELATIVE,
          "variance of channel " + c + ": " + stats.variance()[c] + " vs exact " + exact[1] + ", relative error "
              + relativeError(stats.variance()[c], exact[1]));
      assertTrue(relativeError(stats.unbiasedVariance()[c], exact[2]) <= VARIANCE_RELATIVE,
          "unbiased variance of channel " + c + ": relative error "
              + relativeError(stats.unbiasedVariance()[c], exact[2]));
      assertTrue(relativeError(stats.mean()[c], exact[0]) < 1e-15, "mean of channel " + c);
    }
  }

  @Test
  void floatSamplesAccumulateInDouble() {
    Shape shape = Shape.of(3, 4);
    Random random = new Random(3);
    WelfordMoments fromFloat = new WelfordMoments(shape);
    WelfordMoments fromDouble = new WelfordMoments(shape);
    for (int s = 0; s < 1000; s++) {
      float[] f = new float[shape.size()];
      double[] d = new double[shape.size()];
      for (int i = 0; i < f.length; i++) {
        f[i] = (float) (1000 + random.nextGaussian());
        d[i] = f[i];
      }
      fromFloat.update(f);
      fromDouble.update(d);
    }
    BatchStatistics a = fromFloat.statistics();
    BatchStatistics b = fromDouble.statistics();
    for (int c = 0; c < 3; c++) {
      assertEquals(b.mean()[c], a.mean()[c], 0.0);
      assertEquals(b.variance()[c], a.variance()[c], 0.0);
    }
  }

  private static List<double[]> randomSamples(Shape shape, int count, long seed) {
    Random random = new Random(seed);
    List<double[]> samples = new ArrayList<>();
    for (int s = 0; s < count; s++) {
      double[] sample = new double[shape.size()];
      for (int i = 0; i < sample.length; i++) {
        sample[i] = 5e3 * (i / shape.spatialSize() + 1) + random.nextGaussian() * (1 + i % 3);
      }
      samples.add(sample);
    }
    return samples;
  }

  private static void assertSameStatistics(BatchStatistics expected, BatchStatistics actual, double relative) {
    assertEquals(expected.count(), actual.count());
    for (int c = 0; c < expected.shape().channels(); c++) {
      assertTrue(relativeError(actual.mean()[c], expected.mean()[c]) <= relative, "mean of channel " + c);
      assertTrue(relativeError(actual.variance()[c], expected.variance()[c]) <= relative,
          "variance of channel " + c + ": " + actual.variance()[c] + " vs " + expected.variance()[c]);
      assertTrue(relativeError(actual.unbiasedVariance()[c], expected.unbiasedVariance()[c]) <= relative);
    }
  }

  @Test
  void anySplitAndMergeOrderGivesTheSameStatistics() {
    for (Shape shape : List.of(Shape.of(4), Shape.of(3, 7), Shape.of(2, 3, 3))) {
      List<double[]> samples = randomSamples(shape, 997, 11);
      WelfordMoments whole = new WelfordMoments(shape);
      samples.forEach(whole::update);
      BatchStatistics expected = whole.statistics();

      Random random = new Random(99);
      for (int trial = 0; trial < 20; trial++) {
        List<double[]> shuffled = new ArrayList<>(samples);
        Collections.shuffle(shuffled, random);
        int parts = 1 + random.nextInt(64);
        List<WelfordMoments> partial = new ArrayList<>();
        for (int p = 0; p < parts; p++) {
          partial.add(new WelfordMoments(shape));
        }
        // Uneven parts, some of them empty.
        for (double[] sample : shuffled) {
          partial.get(random.nextInt(parts) % (1 + random.nextInt(parts))).update(sample);
        }
        Collections.shuffle(partial, random);
        WelfordMoments merged = new WelfordMoments(shape);
        if (random.nextBoolean()) {
          partial.forEach(merged::merge);
        } else {
          // A tree of merges, as Spark's treeAggregate does.
          while (partial.size() > 1) {
            List<WelfordMoments> next = new ArrayList<>();
            for (int i = 0; i + 1 < partial.size(); i += 2) {
              next.add(partial.get(i).merge(partial.get(i + 1)));
            }
            if (partial.size() % 2 == 1) {
              next.add(partial.get(partial.size() - 1));
            }
            partial = next;
          }
          merged.merge(partial.get(0));
        }
        assertSameStatistics(expected, merged.statistics(), 1e-12);
      }
    }
  }

  @Test
  void mergingEmptyMomentsChangesNothing() {
    Shape shape = Shape.of(2);
    WelfordMoments moments = new WelfordMoments(shape).update(new double[] {1, 2}).update(new double[] {3, 5});
    BatchStatistics before = moments.statistics();
    moments.merge(new WelfordMoments(shape));
    assertSameStatistics(before, moments.statistics(), 0.0);
    WelfordMoments empty = new WelfordMoments(shape).merge(moments);
    assertSameStatistics(before, empty.statistics(), 0.0);
  }

  @Test
  void knownSmallExample() {
    WelfordMoments moments = new WelfordMoments(Shape.of(1, 2));
    moments.update(new double[] {1, 2}).update(new double[] {3, 4});
    BatchStatistics stats = moments.statistics();
    assertEquals(4, stats.count());
    assertEquals(2.5, stats.mean()[0], 0.0);
    assertEquals(1.25, stats.variance()[0], 1e-15);
    assertEquals(5.0 / 3.0, stats.unbiasedVariance()[0], 1e-15);
  }

  @Test
  void oneValuePerChannelIsAnErrorAsInPyTorch() {
    WelfordMoments moments = new WelfordMoments(Shape.of(3)).update(new double[] {1, 2, 3});
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, moments::statistics);
    assertEquals("batch norm needs more than 1 value per channel, got 1 (samples x spatial size) for shape (3,)",
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new WelfordMoments(Shape.of(3)).statistics());
  }

  @Test
  void rejectsSamplesOfTheWrongLengthAndForeignShapes() {
    WelfordMoments moments = new WelfordMoments(Shape.of(2, 2));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> moments.update(new double[3]));
    assertEquals("tensor of length 3 does not match shape (2,2) (4 elements)", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> moments.update(new float[5]));
    IllegalArgumentException merge = assertThrows(IllegalArgumentException.class,
        () -> moments.merge(new WelfordMoments(Shape.of(4))));
    assertEquals("cannot merge moments of shape (4,) into moments of shape (2,2)", merge.getMessage());
  }
}
