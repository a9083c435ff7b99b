package io.sparknorm.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PartitionedMomentsTest {

  private static PartitionedMoments part(int part, Shape shape, Random random, int samples) {
    PartitionedMoments moments = new PartitionedMoments(shape);
    for (int s = 0; s < samples; s++) {
      double[] x = new double[shape.size()];
      for (int i = 0; i < x.length; i++) {
        x[i] = 1e6 + random.nextGaussian() * (1 + part);
      }
      moments.update(part, x);
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

  /** Parts merged in any order, one by one or as a tree, give the same bits: the order is the parts'. */
  @Test
  void theResultIsTheSameBitsWhateverTheMergeOrder() {
    Shape shape = Shape.of(3, 2);
    Random random = new Random(11);
    List<PartitionedMoments> parts = new ArrayList<>();
    for (int p = 0; p < 12; p++) {
      parts.add(part(p, shape, random, 50 + p));
    }
    BatchStatistics inOrder = merge(parts).total().statistics();
    for (long seed = 0; seed < 5; seed++) {
      List<PartitionedMoments> shuffled = new ArrayList<>(parts);
      Collections.shuffle(shuffled, new Random(seed));
      PartitionedMoments left = merge(shuffled.subList(0, 5));
      PartitionedMoments right = merge(shuffled.subList(5, 12));
      BatchStatistics tree = new PartitionedMoments(shape).merge(right).merge(left).total().statistics();
      assertEquals(inOrder.count(), tree.count());
      assertArrayEquals(bits(inOrder.mean()), bits(tree.mean()));
      assertArrayEquals(bits(inOrder.meanResidual()), bits(tree.meanResidual()));
      assertArrayEquals(bits(inOrder.variance()), bits(tree.variance()));
      assertArrayEquals(bits(inOrder.unbiasedVariance()), bits(tree.unbiasedVariance()));
    }
  }

  private static PartitionedMoments merge(List<PartitionedMoments> parts) {
    PartitionedMoments all = new PartitionedMoments(parts.get(0).shape());
    parts.forEach(all::merge);
    return all;
  }

  @Test
  void theTotalIsTheMomentsOfAllParts() {
    Shape shape = Shape.of(2);
    PartitionedMoments moments = new PartitionedMoments(shape);
    ChannelMoments plain = new ChannelMoments(shape);
    double[][] samples = {{1, 10}, {2, 20}, {4, 40}, {8, 80}};
    for (int i = 0; i < samples.length; i++) {
      moments.update(i % 2, samples[i]);
      plain.update(samples[i]);
    }
    assertArrayEquals(plain.statistics().mean(), moments.total().statistics().mean(), 1e-15);
    assertArrayEquals(plain.statistics().variance(), moments.total().statistics().variance(), 1e-12);
    assertEquals(4, moments.total().count());
  }

  @Test
  void shapesMustAgree() {
    assertThrows(IllegalArgumentException.class,
        () -> new PartitionedMoments(Shape.of(2)).merge(new PartitionedMoments(Shape.of(3))));
  }

  @Test
  void theByteFormReadsBackToTheSameState() {
    Shape shape = Shape.of(2, 3);
    Random random = new Random(5);
    PartitionedMoments moments = part(3, shape, random, 20).merge(part(0, shape, random, 7));
    PartitionedMoments read = PartitionedMoments.fromBytes(moments.toBytes());
    assertEquals(shape, read.shape());
    BatchStatistics before = moments.total().statistics();
    BatchStatistics after = read.total().statistics();
    assertEquals(before.count(), after.count());
    assertArrayEquals(bits(before.mean()), bits(after.mean()));
    assertArrayEquals(bits(before.variance()), bits(after.variance()));
    assertArrayEquals(moments.toBytes(), read.toBytes());
  }
}
