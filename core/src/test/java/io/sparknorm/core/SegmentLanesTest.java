package io.sparknorm.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link SegmentLanes} against the scalar kernel it stands in for: the same bits, or it declines. */
class SegmentLanesTest {
  private static final int LANES = SegmentLanes.LANES;

  /** The JVM-wide warm-up as the tests before this one left it: put back afterwards. */
  private Simd.SegmentWarmUp before;

  /** Each test starts with the lanes' warm-up cold, whatever ran before in this JVM. */
  @BeforeEach
  void coldWarmUp() {
    before = Simd.segmentWarmUp();
    Simd.segmentWarmUp(Simd.SegmentWarmUp.COLD);
  }

  /** Later tests in this JVM see the warm-up as it was, not the lanes this class switched on. */
  @AfterEach
  void restoreWarmUp() {
    Simd.segmentWarmUp(before);
  }

  /**
   * Value i of n, of one kind: normal, far from zero, constant, tiny, mixed scales, one huge value
   * in the last vector (its segment's squares overflow), NaN and infinity.
   */
  private static double value(Random r, int kind, int i, int n) {
    switch (kind) {
      case 0: return r.nextGaussian();
      case 1: return 1e8 + r.nextGaussian();
      case 2: return 2.5;
      case 3: return Double.MIN_VALUE * r.nextInt(1000) - 1e-310 * r.nextDouble();
      case 4: return Math.scalb(r.nextGaussian(), r.nextInt(200) - 100);
      case 5: return i == n - 2 ? 1e300 * (1 + r.nextDouble()) : r.nextGaussian();
      default: return i % 7 == 3 ? (i % 2 == 0 ? Double.NaN : Double.NEGATIVE_INFINITY) : r.nextGaussian();
    }
  }

  @Test
  void shortSegmentsGiveTheScalarKernelsBits() {
    Random r = new Random(11);
    // {shape..., groups}: segments of 2 to LANES values, one value a channel or S of them (instance norm is G = C).
    // Segments of 8 values fit a vector only with 8 lanes (512 bits); with 4 lanes they are the scalar kernel's.
    int[][] cases = LANES >= 8
        ? new int[][] {{64, 32}, {64, 16}, {8, 4}, {16, 4}, {LANES, LANES / 2}, {64, 8}, {LANES, 1}, {8, 8, 8},
            {8, 2, 4}, {4, 2, 4}, {16, 4, 8}}
        : new int[][] {{64, 32}, {64, 16}, {8, 4}, {LANES, LANES / 2}, {LANES, 1}, {8, 2, 4}, {4, 2, 4}};
    assertEquals(LANES >= 8, SegmentLanes.serves(Shape.of(64), 8), "L = 8 with " + LANES + " lanes");
    assertEquals(LANES >= 8, SegmentLanes.serves(Shape.of(8, 8), 8), "instance norm on (8, 8) with " + LANES + " lanes");
    for (int[] c : cases) {
      Shape shape = Shape.of(java.util.Arrays.copyOf(c, c.length - 1));
      int groups = c[c.length - 1];
      assertTrue(SegmentLanes.serves(shape, groups), shape + " G = " + groups);
      double[] weight = new double[shape.channels()];
      double[] bias = new double[shape.channels()];
      for (int i = 0; i < weight.length; i++) {
        weight[i] = 1 + 0.5 * r.nextGaussian();
        bias[i] = r.nextGaussian();
      }
      for (Affine affine : new Affine[] {Affine.none(), Affine.of(weight, bias)}) {
        SegmentNormalizer scalar = (SegmentNormalizer) Normalizers.group(shape, groups, 1e-5, affine);
        SegmentLanes lanes = scalar.newLanes();
        int declined = 0;
        for (int kind = 0; kind <= 6; kind++) {
          for (int row = 0; row < 200; row++) {
            double[] in = new double[shape.size()];
            for (int i = 0; i < in.length; i++) {
              in[i] = value(r, kind, i, in.length);
            }
            double[] expected = new double[in.length];
            scalar.normalizeScalar(in, expected);
            // In place, as the job calls it: the lanes, then the scalar kernel for the segments they left.
            double[] actual = in.clone();
            scalar.normalize(lanes, actual, actual);
            String what = shape + " G = " + groups + ", kind " + kind + ", row " + row;
            for (int i = 0; i < in.length; i++) {
              assertEquals(Double.doubleToRawLongBits(expected[i]), Double.doubleToRawLongBits(actual[i]),
                  what + ", element " + i + ": " + expected[i] + " against " + actual[i]);
            }
            int done = lanes.normalize(in, new double[in.length]);
            if (done < in.length) {
              declined++;
              continue;
            }
            float[] floats = new float[in.length];
            for (int i = 0; i < in.length; i++) {
              floats[i] = (float) in[i];
            }
            float[] expectedFloats = new float[in.length];
            scalar.normalizeScalar(floats, expectedFloats);
            float[] actualFloats = new float[in.length];
            assertTrue(lanes.normalize(floats, actualFloats), what + ", floats");
            for (int i = 0; i < in.length; i++) {
              assertEquals(Float.floatToRawIntBits(expectedFloats[i]), Float.floatToRawIntBits(actualFloats[i]),
                  what + ", float element " + i);
            }
          }
        }
        // Only rows whose squares overflow (kind 5) or hold NaN or infinity (kind 6) go back to the scalar kernel.
        assertEquals(400, declined, shape + " G = " + groups + ": rows declined");
      }
    }
  }

  /** A group normalizer goes over to the lanes after its warm-up rows, with the same outputs. */
  @Test
  void theNormalizerTakesTheLanesOnceTheyPay() {
    assertTrue(Simd.AVAILABLE, "the tests run with the Vector API");
    Shape shape = Shape.of(8);
    SegmentNormalizer group = (SegmentNormalizer) Normalizers.group(shape, 4, 1e-5, Affine.none());
    double[] in = {1, 2, 4, 3, -1, 5, 0.5, 0.25};
    double[] expected = new double[8];
    group.normalizeScalar(in, expected);
    double[] out = new double[8];
    long warmUpRows = Simd.SEGMENT_WARM_UP / 4;  // 4 segments a row
    for (long row = 0; row < warmUpRows - 1; row++) {
      group.normalize(in, out);
    }
    assertFalse(Simd.segmentsPay(), "the lanes took over before their warm-up's " + warmUpRows + " rows");
    group.normalize(in, out);
    assertTrue(Simd.segmentsPay(), "the lanes did not take over after their warm-up");
    group.normalize(in, out);
    for (int i = 0; i < 8; i++) {
      assertEquals(Double.doubleToRawLongBits(expected[i]), Double.doubleToRawLongBits(out[i]), "element " + i);
    }
    assertEquals(-1.0, out[0], 1e-4, "(1 - 1.5) / sqrt(0.25 + 1e-5)");
    // Once the lanes pay, a sample shorter than a vector (segments of 2 that would fit one) stays with the scalar kernel.
    Normalizer shortGroup = Normalizers.group(Shape.of(LANES / 2), LANES / 4, 1e-5, Affine.none());
    double[] halfVector = java.util.Arrays.copyOf(in, LANES / 2);
    double[] shortExpected = new double[halfVector.length];
    ((SegmentNormalizer) shortGroup).normalizeScalar(halfVector, shortExpected);
    double[] shortOut = new double[halfVector.length];
    shortGroup.normalize(halfVector, shortOut);
    for (int i = 0; i < shortOut.length; i++) {
      assertEquals(Double.doubleToRawLongBits(shortExpected[i]), Double.doubleToRawLongBits(shortOut[i]),
          "short sample, element " + i);
    }
  }

  @Test
  void overflowingSegmentsAreDeclined() {
    SegmentLanes lanes = new SegmentLanes(2, 1e-5, ones(LANES), new double[LANES]);
    double[] in = new double[LANES];
    in[0] = 1e300;
    in[1] = -1e300;
    assertEquals(0, lanes.normalize(in, new double[LANES]));
    double[] two = new double[2 * LANES];
    two[2 * LANES - 1] = 1e300;
    assertEquals(LANES, lanes.normalize(two, new double[2 * LANES]), "the first vector done, the second declined");
  }

  @Test
  void servesOnlySegmentsThatFitAVector() {
    assertTrue(SegmentLanes.serves(Shape.of(64), 32));
    assertTrue(SegmentLanes.serves(Shape.of(8, 2), 4), "S = 2, two channels a segment");
    assertTrue(SegmentLanes.serves(Shape.of(LANES), 1), "one segment a vector");
    assertFalse(SegmentLanes.serves(Shape.of(64), 64), "L = 1");
    assertFalse(SegmentLanes.serves(Shape.of(64), 1), "layer norm, L = 64");
    assertFalse(SegmentLanes.serves(Shape.of(24), 8), "L = 3");
    assertFalse(SegmentLanes.serves(Shape.of(4, 3), 4), "instance norm, S = 3");
    assertFalse(SegmentLanes.serves(Shape.of(2 * LANES), 1), "a segment longer than a vector");
    assertFalse(SegmentLanes.serves(Shape.of(LANES / 2), LANES / 4), "a sample shorter than a vector");
    assertFalse(SegmentLanes.serves(Shape.of(3 * LANES / 2), 3 * LANES / 4), "a sample not of whole vectors");
  }

  /** Instance norm with S > 1 takes the lanes too, its per-channel affine spread over each channel's values. */
  @Test
  void instanceNormTakesTheLanesWithItsChannelsAffine() {
    Shape shape = Shape.of(LANES, 2);
    double[] weight = new double[LANES];
    double[] bias = new double[LANES];
    double[] in = new double[2 * LANES];
    for (int c = 0; c < LANES; c++) {
      weight[c] = c + 1;
      bias[c] = -c;
      in[2 * c] = c;
      in[2 * c + 1] = c + 2;
    }
    SegmentNormalizer instance = (SegmentNormalizer) Normalizers.instance(shape, 1e-5, Affine.of(weight, bias));
    double[] out = new double[in.length];
    assertEquals(in.length, instance.newLanes().normalize(in, out));
    double unit = 1 / Math.sqrt(1 + 1e-5);  // each channel (c, c + 2): deviations -1 and 1, variance 1
    for (int c = 0; c < LANES; c++) {
      assertEquals(-unit * (c + 1) - c, out[2 * c], 1e-12, "channel " + c + ", first value");
      assertEquals(unit * (c + 1) - c, out[2 * c + 1], 1e-12, "channel " + c + ", second value");
    }
  }

  private static double[] ones(int n) {
    double[] a = new double[n];
    java.util.Arrays.fill(a, 1.0);
    return a;
  }
}
