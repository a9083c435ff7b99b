package io.sparknorm.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Samples handed over several at a time, one after another in one array (a column batch's tensors,
 * {@link ExactMoments#update(double[], int, int)}), leave the state that one update a sample
 * leaves: the same bytes, with SIMD (rows read in place) and with the buckets, whatever the chunk
 * sizes and where they start.
 */
class ExactMomentsBatchedTest {
  private static final ExactMomentsVectorTest.Maker[] MAKERS = {
    ExactMomentsVectorTest.NORMAL, ExactMomentsVectorTest.WIDE, ExactMomentsVectorTest.SPECIAL,
    ExactMomentsVectorTest.EDGES};
  private static final String[] NAMES = {"normal", "wide", "special", "edges"};
  /** Rows of 8, 64 and 24 channels (SIMD, read in place), images (SIMD per channel), (2, 3) (buckets alone). */
  private static final List<Shape> SHAPES = List.of(Shape.of(8), Shape.of(64), Shape.of(24), Shape.of(3, 8, 8),
      Shape.of(2, 3));

  /** The samples in one array after {@code pad} values of padding. */
  private static double[] flat(List<double[]> samples, int size, int pad) {
    double[] values = new double[pad + samples.size() * size];
    for (int s = 0; s < samples.size(); s++) {
      System.arraycopy(samples.get(s), 0, values, pad + s * size, size);
    }
    return values;
  }

  @Test
  void chunksOfDoublesGiveTheStateOfOneUpdateASample() {
    for (Shape shape : SHAPES) {
      for (int m = 0; m < MAKERS.length; m++) {
        List<double[]> samples = ExactMomentsVectorTest.samples(shape, 3_000, MAKERS[m], 17 * m + shape.size());
        ExactMoments expected = new ExactMoments(shape, SampleStage.Choice.BUCKETS);
        samples.forEach(expected::update);
        double[] values = flat(samples, shape.size(), 5);
        for (SampleStage.Choice choice : List.of(SampleStage.Choice.SIMD, SampleStage.Choice.BUCKETS)) {
          ExactMoments batched = new ExactMoments(shape, choice);
          Random random = new Random(m);
          int s = 0;
          // A few single samples first, so chunks start with rows already in SIMD's block.
          for (; s < 3; s++) {
            batched.update(samples.get(s));
          }
          while (s < samples.size()) {
            int n = Math.min(samples.size() - s, random.nextInt(80));
            batched.update(values, 5 + s * shape.size(), n);
            s += n;
          }
          assertEquals(expected.count(), batched.count(), NAMES[m] + " " + shape + " " + choice);
          assertArrayEquals(expected.toBytes(), batched.toBytes(), NAMES[m] + " " + shape + " " + choice);
        }
      }
    }
  }

  @Test
  void chunksOfFloatsGiveTheStateOfOneUpdateASample() {
    for (Shape shape : SHAPES) {
      Random random = new Random(shape.size());
      float[] values = new float[2_000 * shape.size()];
      for (int i = 0; i < values.length; i++) {
        values[i] = random.nextInt(8) == 0 ? Float.intBitsToFloat(random.nextInt() & 0x807F_FFFF)
            : (float) Math.scalb(random.nextGaussian(), random.nextInt(40) - 20);
      }
      ExactMoments expected = new ExactMoments(shape, SampleStage.Choice.BUCKETS);
      for (int s = 0; s < 2_000; s++) {
        expected.update(java.util.Arrays.copyOfRange(values, s * shape.size(), (s + 1) * shape.size()));
      }
      for (SampleStage.Choice choice : List.of(SampleStage.Choice.SIMD, SampleStage.Choice.BUCKETS)) {
        ExactMoments batched = new ExactMoments(shape, choice);
        for (int s = 0, n = 1; s < 2_000; s += n, n = n % 70 + 7) {
          batched.update(values, s * shape.size(), Math.min(n, 2_000 - s));
        }
        assertArrayEquals(expected.toBytes(), batched.toBytes(), "float " + shape + " " + choice);
      }
    }
  }

  @Test
  void samplesThatDoNotFitAreRefused() {
    ExactMoments moments = new ExactMoments(Shape.of(3, 2));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> moments.update(new double[20], 4, 3));
    assertEquals("3 samples of 6 values from index 4 do not fit in 20 values", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> moments.update(new float[6], -1, 1));
    assertEquals(0, moments.count(), "nothing was staged");
    moments.update(new double[20], 2, 3);
    assertEquals(6, moments.count(), "3 samples of S = 2");
  }
}
