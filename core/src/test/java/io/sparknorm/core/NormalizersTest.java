package io.sparknorm.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NormalizersTest {

  private static double[] random(int n, long seed, double scale, double offset) {
    Random random = new Random(seed);
    double[] values = new double[n];
    for (int i = 0; i < n; i++) {
      values[i] = offset + scale * random.nextGaussian();
    }
    return values;
  }

  private static void assertClose(double[] expected, double[] actual, double tolerance) {
    assertEquals(expected.length, actual.length);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], tolerance, "element " + i);
    }
  }

  @Test
  void groupNormWithOneGroupIsLayerNormThenPerChannelAffine() {
    Shape shape = Shape.of(6, 5);
    double[] x = random(shape.size(), 1, 3, 2);
    double[] weight = random(6, 2, 1, 0);
    double[] bias = random(6, 3, 1, 0);
    double[] group = Normalizers.group(shape, 1, 1e-5, Affine.of(weight, bias)).apply(x);

    double[] layer = Normalizers.layer(shape, 1e-5, Affine.none()).apply(x);
    for (int i = 0; i < layer.length; i++) {
      layer[i] = layer[i] * weight[i / 5] + bias[i / 5];
    }
    assertClose(layer, group, 1e-12);
  }

  @Test
  void groupNormWithOneGroupPerChannelIsInstanceNorm() {
    Shape shape = Shape.of(4, 3, 3);
    double[] x = random(shape.size(), 4, 10, -7);
    Affine affine = Affine.of(random(4, 5, 1, 1), random(4, 6, 1, 0));
    assertClose(Normalizers.instance(shape, 1e-3, affine).apply(x),
        Normalizers.group(shape, 4, 1e-3, affine).apply(x), 0.0);
  }

  @Test
  void layerNormGivesZeroMeanUnitVariance() {
    Shape shape = Shape.of(3, 8);
    double[] y = Normalizers.layer(shape, 0.0, Affine.none()).apply(random(shape.size(), 9, 4, 100));
    double mean = 0;
    for (double v : y) {
      mean += v / y.length;
    }
    double variance = 0;
    for (double v : y) {
      variance += (v - mean) * (v - mean) / y.length;
    }
    assertEquals(0.0, mean, 1e-12);
    assertEquals(1.0, variance, 1e-12);
  }

  @Test
  void epsGoesInsideTheSquareRoot() {
    // Values -1 and 1: variance 1, so y = x / sqrt(1 + eps).
    double[] y = Normalizers.layer(Shape.of(2), 0.5, Affine.none()).apply(new double[] {-1, 1});
    assertEquals(-1 / Math.sqrt(1.5), y[0], 1e-15);
    assertEquals(1 / Math.sqrt(1.5), y[1], 1e-15);
  }

  @Test
  void aConstantSegmentBecomesTheBias() {
    Shape shape = Shape.of(2, 4);
    double[] x = {7, 7, 7, 7, 1, 2, 3, 4};
    double[] y = Normalizers.instance(shape, 1e-5, Affine.of(new double[] {2, 3}, new double[] {0.25, -1})).apply(x);
    for (int i = 0; i < 4; i++) {
      assertEquals(0.25, y[i], 0.0);
    }
  }

  @Test
  void batchNormUsesGivenStatisticsPerChannel() {
    Shape shape = Shape.of(2, 2);
    Normalizer batch = Normalizers.batch(shape, new double[] {1, -2}, new double[] {4, 0.25}, 0.0,
        Affine.of(new double[] {1, 10}, new double[] {0, 1}));
    double[] y = batch.apply(new double[] {3, -1, -2, -1.5});
    assertClose(new double[] {1, -1, 1, 11}, y, 1e-15);
  }

  @Test
  void batchNormKeepsTheDigitsOfLargeOffsets() {
    // (x - mean) first: x * scale + shift would lose about 1e-7 here.
    Normalizer batch = Normalizers.batch(Shape.of(1), new double[] {1e8}, new double[] {0.01}, 0.0, Affine.none());
    double[] y = batch.apply(new double[] {1e8 + 0.125});
    assertEquals(1.25, y[0], 1e-12);
  }

  @Test
  void floatAndDoubleKernelsAgree() {
    Shape shape = Shape.of(4, 6);
    double[] x = random(shape.size(), 12, 2, 3);
    float[] xf = new float[x.length];
    double[] xd = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      xf[i] = (float) x[i];
      xd[i] = xf[i];
    }
    Affine affine = Affine.of(random(4, 1, 1, 1), null);
    for (Normalizer n : new Normalizer[] {
        Normalizers.group(shape, 2, 1e-5, affine), Normalizers.instance(shape, 1e-5, affine),
        Normalizers.layer(shape, 1e-5, Affine.none()),
        Normalizers.batch(shape, new double[] {1, 2, 3, 4}, new double[] {1, 2, 3, 4}, 1e-5, affine)}) {
      double[] expected = n.apply(xd);
      float[] actual = n.apply(xf);
      for (int i = 0; i < x.length; i++) {
        assertEquals((float) expected[i], actual[i], 0.0f, "element " + i);
      }
    }
  }

  @Test
  void normalizesInPlace() {
    Shape shape = Shape.of(2, 3);
    double[] x = random(shape.size(), 5, 1, 0);
    Normalizer group = Normalizers.group(shape, 2, 1e-5, Affine.none());
    double[] expected = group.apply(x);
    group.normalize(x, x);
    assertClose(expected, x, 0.0);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, -6})
  void groupsMustBePositive(int groups) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Normalizers.group(Shape.of(6), groups, 1e-5, Affine.none()));
    assertEquals("groups is " + groups + ", must be a positive divisor of the channel count 6", e.getMessage());
  }

  @Test
  void groupsMustDivideTheChannels() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Normalizers.group(Shape.of(6, 4), 4, 1e-5, Affine.none()));
    assertEquals("groups 4 does not divide the channel count C = 6 of shape (6,4)", e.getMessage());
  }

  @Test
  void instanceNormNeedsMoreThanOneSpatialElement() {
    for (Shape shape : new Shape[] {Shape.of(3), Shape.of(3, 1), Shape.of(3, 1, 1)}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Normalizers.instance(shape, 1e-5, Affine.none()));
      assertTrue(e.getMessage().startsWith("instance norm needs more than 1 spatial element per channel, got shape "
          + shape), e.getMessage());
    }
  }

  @Test
  void affineLengthsFollowTheMethod() {
    Shape shape = Shape.of(3, 4);
    Affine perChannel = Affine.of(new double[3], new double[3]);
    Affine perElement = Affine.of(new double[12], null);
    Normalizers.batch(shape, new double[3], new double[] {1, 1, 1}, 1e-5, perChannel);
    Normalizers.group(shape, 3, 1e-5, perChannel);
    Normalizers.instance(shape, 1e-5, perChannel);
    Normalizers.layer(shape, 1e-5, perElement);

    IllegalArgumentException layer = assertThrows(IllegalArgumentException.class,
        () -> Normalizers.layer(shape, 1e-5, perChannel));
    assertEquals("affine weight has 3 values, expected 12: one per element (12) for layer norm of shape (3,4)",
        layer.getMessage());
    IllegalArgumentException batch = assertThrows(IllegalArgumentException.class,
        () -> Normalizers.batch(shape, new double[3], new double[3], 1e-5, Affine.of(null, new double[4])));
    assertEquals("affine bias has 4 values, expected 3: one per channel (C = 3) for batch norm of shape (3,4)",
        batch.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Normalizers.instance(shape, 1e-5, perElement));
    assertThrows(IllegalArgumentException.class, () -> Normalizers.group(shape, 1, 1e-5, perElement));
  }

  @Test
  void affineRejectsMismatchedAndNonFiniteValues() {
    IllegalArgumentException lengths = assertThrows(IllegalArgumentException.class,
        () -> Affine.of(new double[2], new double[3]));
    assertEquals("affine weight has 2 values but bias has 3; they must have the same length", lengths.getMessage());
    IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
        () -> Affine.of(new double[] {1, Double.NaN}, null));
    assertEquals("affine weight[1] is NaN, must be finite", nan.getMessage());
  }

  @Test
  void epsMustBeFiniteAndNonNegative() {
    for (double eps : new double[] {-1e-5, Double.NaN, Double.POSITIVE_INFINITY}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Normalizers.layer(Shape.of(2), eps, Affine.none()));
      assertEquals("eps is " + eps + ", must be finite and >= 0", e.getMessage());
    }
  }

  @Test
  void batchStatisticsMustFitTheShape() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Normalizers.batch(Shape.of(3), new double[2], new double[3], 1e-5, Affine.none()));
    assertEquals("batch norm of shape (3,) needs 3 means and variances, got 2 and 3", e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> Normalizers.batch(Shape.of(1), new double[1], new double[] {-1}, 1e-5, Affine.none()));
  }

  @Test
  void applyChecksTheTensorLength() {
    Normalizer layer = Normalizers.layer(Shape.of(2, 3), 1e-5, Affine.none());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> layer.apply(new float[5]));
    assertEquals("tensor of length 5 does not match shape (2,3) (6 elements)", e.getMessage());
  }

  @Test
  void methodNamesParse() {
    assertEquals(NormMethod.GROUP, NormMethod.parse("Group"));
    assertEquals("instance", NormMethod.INSTANCE.id());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NormMethod.parse("weight"));
    assertEquals("method 'weight' is not one of batch, layer, instance, group", e.getMessage());
  }

  @Test
  void runningStatisticsFollowPyTorchsMomentumRule() {
    Shape shape = Shape.of(1, 2);
    RunningStatistics running = new RunningStatistics(shape, 0.1);
    BatchStatistics batch = new ExactMoments(shape).update(new double[] {1, 3}).statistics();
    running.update(batch);
    assertEquals(0.2, running.runningMean()[0], 1e-15);
    // unbiased variance of {1, 3} is 2: 0.9 * 1 + 0.1 * 2
    assertEquals(1.1, running.runningVar()[0], 1e-15);
    assertThrows(IllegalArgumentException.class, () -> new RunningStatistics(shape, 1.5));
  }
}
