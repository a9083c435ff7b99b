package io.sparknorm.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Layer, instance and group norm of segments whose squared deviations underflow a double (values
 * near 1e-200, subnormals) with eps 0 or tiny: the exact results are ordinary numbers, and they must
 * come out right, against BigDecimal; and a constant segment with eps 0, whose exact result is
 * 0/0, is refused instead of written as NaN.
 */
class SegmentUnderflowTest {
  private static final MathContext MC = new MathContext(100);

  /** (x - mean) / sqrt(var + eps) * weight + bias of one segment, exactly, then rounded. */
  private static double[] exact(double[] segment, double eps, double weight, double bias) {
    ReferenceMoments moments = ReferenceMoments.of(MC, segment);
    double[] y = new double[segment.length];
    for (int i = 0; i < y.length; i++) {
      y[i] = moments.normalized(segment[i], eps, weight, bias);
    }
    return y;
  }

  /** Within 1e-13 of max(1, |exact|): a few roundings of the kernel's. */
  private static void assertNear(double expected, double actual, String what) {
    assertTrue(Math.abs(actual - expected) <= 1e-13 * Math.max(1, Math.abs(expected)),
        () -> what + ": got " + actual + ", exact " + expected);
  }

  /** Every segment of a sample (segments of equal length, one weight and bias a segment here) against the exact one. */
  private static void assertSegments(double[] in, double[] out, int segments, double eps, String what) {
    int length = in.length / segments;
    for (int g = 0; g < segments; g++) {
      double[] segment = java.util.Arrays.copyOfRange(in, g * length, (g + 1) * length);
      double[] y = exact(segment, eps, 1, 0);
      for (int i = 0; i < length; i++) {
        assertNear(y[i], out[g * length + i], what + ", segment " + g + ", element " + i);
      }
    }
  }

  @ParameterizedTest(name = "eps {0}")
  @ValueSource(doubles = {0.0, 1e-310, 1e-300})
  void theIssuesRowIsNormalizedRightByEachMethod(double eps) {
    double[] row = {1e-200, 2e-200, 3e-200};
    double[] y = Normalizers.layer(Shape.of(3), eps, Affine.none()).apply(row);
    // With eps 0 about -1.2247, 0 and 1.2247 (the variance, 6.7e-401, is far below the smallest double).
    assertSegments(row, y, 1, eps, "layer");
    if (eps == 0) {
      assertEquals(-Math.sqrt(1.5), y[0], 1e-15);
    }
    // Instance norm on (2, 3) and group norm of (4, 3) in 2 groups: a tiny channel beside others.
    double[] twoChannels = {1e-200, 2e-200, 3e-200, -5e-250, 7e-250, 1e-251};
    assertSegments(twoChannels, Normalizers.instance(Shape.of(2, 3), eps, Affine.none()).apply(twoChannels), 2, eps,
        "instance");
    double[] groups = {1e-200, 2e-200, 3e-200, 4e-200, 5e-200, 6e-200, 1.0, 2.0, 4.0, -8.0, 0.5, 3.0};
    assertSegments(groups, Normalizers.group(Shape.of(4, 3), 2, eps, Affine.none()).apply(groups), 2, eps, "group");
    // The affine transform applies as usual.
    double[] affine = Normalizers.layer(Shape.of(3), eps, Affine.of(new double[] {2, 2, 2}, new double[] {1, 1, 1}))
        .apply(row);
    double[] expected = exact(row, eps, 2, 1);
    for (int i = 0; i < 3; i++) {
      assertNear(expected[i], affine[i], "affine, element " + i);
    }
  }

  @Test
  void randomTinyAndSubnormalSegmentsWithEpsZero() {
    Random random = new Random(3);
    for (int trial = 0; trial < 400; trial++) {
      int length = 2 + random.nextInt(40);
      double[] in = new double[3 * length];
      for (int i = 0; i < in.length; i++) {
        int kind = (i / length + trial) % 3;
        in[i] = kind == 0 ? Math.scalb(random.nextGaussian(), -500 - random.nextInt(560))
            : kind == 1 ? Double.MIN_VALUE * (random.nextInt(2001) - 1000)
            : 1e-300 + Double.MIN_VALUE * random.nextInt(50);
      }
      in[0] = in[0] == in[1] ? Math.nextUp(in[0]) : in[0]; // never a constant segment
      in[length] = in[length] == in[length + 1] ? Math.nextUp(in[length]) : in[length];
      in[2 * length] = in[2 * length] == in[2 * length + 1] ? Math.nextUp(in[2 * length]) : in[2 * length];
      Normalizer group = Normalizers.group(Shape.of(3, length), 3, 0.0, Affine.none());
      assertSegments(in, group.apply(in), 3, 0.0, "trial " + trial);
    }
  }

  /** Floats are computed in double, where their squares (at least 2e-90) never underflow: right with eps 0 too. */
  @Test
  void floatsDoNotUnderflow() {
    float[] row = {Float.MIN_VALUE, 2 * Float.MIN_VALUE, 3 * Float.MIN_VALUE, 1e-38f, 1.5e-38f, -2e-38f};
    float[] y = Normalizers.instance(Shape.of(2, 3), 0.0, Affine.none()).apply(row);
    double[] asDoubles = new double[row.length];
    for (int i = 0; i < row.length; i++) {
      asDoubles[i] = row[i];
    }
    double[] expected = Normalizers.instance(Shape.of(2, 3), 0.0, Affine.none()).apply(asDoubles);
    assertSegments(asDoubles, expected, 2, 0.0, "doubles");
    for (int i = 0; i < row.length; i++) {
      assertEquals((float) expected[i], y[i], "element " + i);
    }
    assertEquals((float) -Math.sqrt(1.5), y[0]);
  }

  /** Lanes-sized segments (group norm, 2 and 4 values a segment) take the scalar kernel's scaled path. */
  @Test
  void theLanesLeaveUnderflowingSegmentsToTheScalarKernel() {
    Random random = new Random(9);
    for (int perGroup : new int[] {2, 4}) {
      Shape shape = Shape.of(64);
      SegmentNormalizer normalizer = (SegmentNormalizer) Normalizers.group(shape, 64 / perGroup, 0.0, Affine.none());
      double[] in = new double[64];
      for (int i = 0; i < in.length; i++) {
        in[i] = i < 32 ? random.nextGaussian() : 1e-200 * (1 + i % perGroup);
      }
      double[] expected = new double[64];
      normalizer.normalizeScalar(in, expected);
      assertSegments(in, expected, 64 / perGroup, 0.0, perGroup + " a group, scalar");
      if (Simd.AVAILABLE && SegmentLanes.serves(shape, 64 / perGroup)) {
        double[] actual = in.clone();
        normalizer.normalize(normalizer.newLanes(), actual, actual);
        for (int i = 0; i < 64; i++) {
          assertEquals(Double.doubleToRawLongBits(expected[i]), Double.doubleToRawLongBits(actual[i]), "element " + i);
        }
      }
    }
  }

  @Test
  void aConstantSegmentWithEpsZeroIsRefusedNamingIt() {
    String layerRule = "the sample has variance 0 (all its values are equal) and eps is 0: its normalized values are"
        + " 0/0, not finite";
    Normalizer layer = Normalizers.layer(Shape.of(3), 0.0, Affine.none());
    for (double v : new double[] {0.0, 2.5, 1e-200, Double.MIN_VALUE, 1.5e308}) {
      double[] row = {v, v, v};
      assertEquals(layerRule, layer.problem(row));
      assertEquals(layerRule, assertThrows(NonFiniteResultException.class, () -> layer.apply(row)).getMessage());
      float f = v == 1.5e308 ? Float.MAX_VALUE : (float) v;
      float[] floats = {f, f, f};
      assertEquals(layerRule, layer.problem(floats));
      assertEquals(layerRule, assertThrows(NonFiniteResultException.class, () -> layer.apply(floats)).getMessage());
    }
    assertNull(layer.problem(new double[] {0.0, -0.0, Double.MIN_VALUE}));
    assertNull(layer.problem(new double[] {Double.NaN, Double.NaN, Double.NaN})); // the reader's rule, not this one

    Normalizer instance = Normalizers.instance(Shape.of(3, 2), 0.0, Affine.none());
    double[] row = {1, 2, 3, 4, 5, 5};
    String channelRule = "channel 2 has variance 0 (all its values are equal) and eps is 0: its normalized values are"
        + " 0/0, not finite";
    assertEquals(channelRule, instance.problem(row));
    assertEquals(channelRule, assertThrows(NonFiniteResultException.class, () -> instance.apply(row)).getMessage());
    Normalizer group = Normalizers.group(Shape.of(4, 2), 2, 0.0, Affine.none());
    double[] groups = {1, 2, 3, 4, 7, 7, 7, 7};
    assertEquals("group 1 (channels 2 to 3) has variance 0 (all its values are equal) and eps is 0: its normalized"
        + " values are 0/0, not finite", assertThrows(NonFiniteResultException.class, () -> group.apply(groups))
            .getMessage());
    // Lanes-sized segments too.
    Normalizer pairs = Normalizers.group(Shape.of(64), 32, 0.0, Affine.none());
    double[] ones = new double[64];
    java.util.Arrays.fill(ones, 1.0);
    ones[0] = 2;
    assertEquals("group 1 (channels 2 to 3) has variance 0 (all its values are equal) and eps is 0: its normalized"
        + " values are 0/0, not finite", assertThrows(NonFiniteResultException.class, () -> pairs.apply(ones))
            .getMessage());

    // With eps > 0, however small, a constant segment is just the bias.
    Normalizer tiny = Normalizers.layer(Shape.of(3), Double.MIN_VALUE, Affine.of(null, new double[] {1, 2, 3}));
    assertNull(tiny.problem(new double[] {4, 4, 4}));
    assertEquals(java.util.Arrays.toString(new double[] {1, 2, 3}),
        java.util.Arrays.toString(tiny.apply(new double[] {4, 4, 4})));
  }

  @Test
  void batchNormRefusesAChannelOfVarianceZeroWithEpsZero() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Normalizers.batch(Shape.of(2), new double[] {0, 1}, new double[] {1, 0}, 0.0, Affine.none()));
    assertEquals("batch norm channel 1 has variance 0 and eps is 0: its normalized values are 0/0 or x/0, not finite;"
        + " give eps > 0", e.getMessage());
    // A subnormal variance is fine: 1 / sqrt(4.9e-324) is 4.5e161.
    double[] y = Normalizers.batch(Shape.of(1), new double[] {0}, new double[] {Double.MIN_VALUE}, 0.0, Affine.none())
        .apply(new double[] {1e-170});
    assertEquals(1e-170 / Math.sqrt(Double.MIN_VALUE), y[0], 1e-15 * Math.abs(y[0]));
  }
}
