package io.sparknorm.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.junit.jupiter.api.Test;

class ChannelSketchesTest {

  /**
   * KLL's normalized rank error at k = 200 (99% confidence) for ranks taken together, as here over
   * 1%..99% and in histograms: 0.0165 (one quantile alone: 0.0133).
   */
  private static final double EPS = KllDoublesSketch.getNormalizedRankError(200, true);

  /** Channel c % 4: log-normal, 1e3 + normal, integers 0..4 (many zeros), exponential. */
  static List<double[]> data(Shape shape, int samples, long seed) {
    Random random = new Random(seed);
    int spatial = shape.spatialSize();
    List<double[]> out = new ArrayList<>();
    for (int s = 0; s < samples; s++) {
      double[] x = new double[shape.size()];
      for (int i = 0; i < x.length; i++) {
        switch ((i / spatial) % 4) {
          case 0 -> x[i] = Math.exp(random.nextGaussian());
          case 1 -> x[i] = 1e3 + 5 * random.nextGaussian();
          case 2 -> x[i] = Math.max(0, random.nextInt(9) - 4);
          default -> x[i] = -Math.log(1 - random.nextDouble());
        }
      }
      out.add(x);
    }
    return out;
  }

  /** Channel c's values, sorted. */
  static double[] channel(List<double[]> samples, Shape shape, int c) {
    int spatial = shape.spatialSize();
    double[] v = new double[samples.size() * spatial];
    int n = 0;
    for (double[] x : samples) {
      System.arraycopy(x, c * spatial, v, n, spatial);
      n += spatial;
    }
    Arrays.sort(v);
    return v;
  }

  static ChannelSketches sketch(Shape shape, List<double[]> samples) {
    ChannelSketches s = new ChannelSketches(shape);
    samples.forEach(s::update);
    return s;
  }

  /** How far (in rank) q's true rank interval in sorted v is from rank. */
  static double rankMiss(double[] v, double q, double rank) {
    int below = lowerBound(v, q);
    int atOrBelow = upperBound(v, q);
    double lo = (double) below / v.length;
    double hi = (double) atOrBelow / v.length;
    return rank < lo ? lo - rank : rank > hi ? rank - hi : 0;
  }

  static int lowerBound(double[] v, double x) {
    int i = Arrays.binarySearch(v, x);
    if (i < 0) {
      return -i - 1;
    }
    while (i > 0 && v[i - 1] == x) {
      i--;
    }
    return i;
  }

  static int upperBound(double[] v, double x) {
    int i = Arrays.binarySearch(v, x);
    if (i < 0) {
      return -i - 1;
    }
    while (i < v.length && v[i] == x) {
      i++;
    }
    return i;
  }

  @Test
  void scalarsMomentsQuantilesAndHistogramsAgainstTheData() {
    for (Shape shape : new Shape[] {Shape.of(4), Shape.of(4, 5, 5), Shape.of(4, 20, 20)}) {
      List<double[]> samples = data(shape, 60_000 / shape.spatialSize(), 1);
      ChannelSketches s = sketch(shape, samples);
      for (int c = 0; c < 4; c++) {
        String what = shape + " channel " + c;
        double[] v = channel(samples, shape, c);
        assertEquals(v.length, s.count(), what);
        assertEquals(v.length, s.finiteCount(c), what);
        assertEquals(v[0], s.min(c), what);
        assertEquals(v[v.length - 1], s.max(c), what);
        assertEquals(upperBound(v, 0) - lowerBound(v, -0.0), s.zeros(c), what);
        double[] direct = CentralMomentsTest.direct(v, 0, v.length);
        double kappa = 1 + Math.abs(direct[1]) / Math.sqrt(direct[2] / direct[0]);
        CentralMomentsTest.assertMoments(direct, s.moments(c), 1e-12 * kappa, what);
        for (double rank = 0; rank <= 1; rank += 0.01) {
          double miss = rankMiss(v, s.quantile(c, rank), rank);
          assertTrue(miss <= EPS, what + ": rank " + rank + " missed by " + miss);
        }
        assertEquals(v[0], s.quantile(c, 0), what);
        assertEquals(v[v.length - 1], s.quantile(c, 1), what);
        for (int bins : new int[] {1, 7, 64}) {
          SketchHistogram h = s.histogram(c, bins);
          assertEquals(v.length, h.total(), what);
          assertEquals(0, h.below() + h.above(), what);
          assertEquals(v[0], h.edges()[0], what);
          assertEquals(v[v.length - 1], h.edges()[h.bins()], what);
          for (int i = 0; i < h.bins(); i++) {
            double[] e = h.edges();
            int truth = (i == h.bins() - 1 ? upperBound(v, e[i + 1]) : lowerBound(v, e[i + 1])) - lowerBound(v, e[i]);
            assertTrue(Math.abs(h.count(i) - truth) <= 2 * EPS * v.length, what + " bin " + i + ": " + h.count(i)
                + " against " + truth);
          }
        }
      }
    }
  }

  @Test
  void mergeOfPartsEqualsUpdatingAllAtOnce() {
    Shape shape = Shape.of(4, 3, 3);
    List<double[]> samples = data(shape, 30_000, 2);
    ChannelSketches whole = sketch(shape, samples);
    int a = 7_001;
    int b = 19_999;
    ChannelSketches merged = sketch(shape, samples.subList(0, a));
    ChannelSketches tail = sketch(shape, samples.subList(b, samples.size()));
    tail.merge(sketch(shape, samples.subList(a, b)));
    merged.merge(tail).merge(new ChannelSketches(shape));
    assertEquals(whole.count(), merged.count());
    for (int c = 0; c < 4; c++) {
      assertEquals(whole.finiteCount(c), merged.finiteCount(c));
      assertEquals(whole.min(c), merged.min(c));
      assertEquals(whole.max(c), merged.max(c));
      assertEquals(whole.zeros(c), merged.zeros(c));
      CentralMoments w = whole.moments(c);
      CentralMomentsTest.assertMoments(new double[] {w.n(), w.mean(), w.m2(), w.m3(), w.m4()}, merged.moments(c), 1e-12,
          "channel " + c);
      double[] v = channel(samples, shape, c);
      for (double rank = 0.005; rank < 1; rank += 0.01) {
        assertTrue(rankMiss(v, merged.quantile(c, rank), rank) <= EPS, "channel " + c + " rank " + rank);
      }
      assertEquals(v.length, merged.histogram(c, 32).total());
    }
  }

  @Test
  void bytesAndJavaSerializationRoundTrip() throws Exception {
    Shape shape = Shape.of(4, 2);
    List<double[]> samples = data(shape, 5_000, 3);
    ChannelSketches s = sketch(shape, samples.subList(0, 4_000));
    s.update(new double[] {Double.NaN, 1, Double.POSITIVE_INFINITY, 2, 3, 4, 5, 6});
    byte[] bytes = s.toBytes();
    ChannelSketches back = ChannelSketches.fromBytes(bytes);
    assertArrayEquals(bytes, back.toBytes());
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(buffer)) {
      out.writeObject(s);
    }
    ChannelSketches java;
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(buffer.toByteArray()))) {
      java = (ChannelSketches) in.readObject();
    }
    for (ChannelSketches copy : List.of(back, java)) {
      assertEquals(s.shape(), copy.shape());
      assertEquals(s.k(), copy.k());
      assertEquals(s.count(), copy.count());
      for (int c = 0; c < 4; c++) {
        assertEquals(s.summary(c), copy.summary(c));
        assertEquals(s.histogram(c, 16), copy.histogram(c, 16));
      }
      // A state read back goes on being updated and merged like the original.
      samples.subList(4_000, 5_000).forEach(copy::update);
    }
    assertEquals(1, back.nanCount(0));
    assertEquals(1, back.infiniteCount(1));
    samples.subList(4_000, 5_000).forEach(s::update);
    for (int c = 0; c < 4; c++) {
      assertEquals(s.min(c), back.min(c));
      assertEquals(s.max(c), back.max(c));
      assertEquals(s.zeros(c), back.zeros(c));
      assertEquals(s.mean(c), back.mean(c), 1e-12 * Math.abs(s.mean(c)));
    }
    assertThrows(IllegalArgumentException.class, () -> ChannelSketches.fromBytes(Arrays.copyOf(bytes, 40)));
    assertThrows(IllegalArgumentException.class, () -> ChannelSketches.fromBytes(new byte[] {1, 2, 3}));
    // A wrong count (header: 5 ints and the 2 dims, then the count at bytes 28..35) does not add up.
    byte[] corrupt = bytes.clone();
    corrupt[35] ^= 0x01;
    assertThrows(IllegalArgumentException.class, () -> ChannelSketches.fromBytes(corrupt));
    byte[] extra = Arrays.copyOf(bytes, bytes.length + 1);
    assertThrows(IllegalArgumentException.class, () -> ChannelSketches.fromBytes(extra));
  }

  @Test
  void floatInputEqualsTheSameValuesAsDoubles() {
    for (Shape shape : new Shape[] {Shape.of(4), Shape.of(4, 300)}) {
      List<double[]> samples = data(shape, 2_000, 4);
      ChannelSketches d = new ChannelSketches(shape);
      ChannelSketches f = new ChannelSketches(shape);
      for (double[] x : samples) {
        float[] y = new float[x.length];
        double[] z = new double[x.length];
        for (int i = 0; i < x.length; i++) {
          y[i] = (float) x[i];
          z[i] = y[i];
        }
        f.update(y);
        d.update(z);
      }
      for (int c = 0; c < 4; c++) {
        assertEquals(d.min(c), f.min(c));
        assertEquals(d.max(c), f.max(c));
        assertEquals(d.zeros(c), f.zeros(c));
        assertEquals(d.variance(c), f.variance(c), 1e-12 * d.variance(c));
      }
    }
  }

  @Test
  void nonFiniteValuesAreCountedAndLeftOut() {
    ChannelSketches s = new ChannelSketches(Shape.of(2, 3));
    s.update(new double[] {1, Double.NaN, 3, Double.NEGATIVE_INFINITY, 0, -0.0});
    s.update(new double[] {Double.POSITIVE_INFINITY, 2, Double.NaN, 5, 5, 5});
    assertEquals(6, s.count());
    assertEquals(3, s.finiteCount(0));
    assertEquals(2, s.nanCount(0));
    assertEquals(1, s.infiniteCount(0));
    assertEquals(1, s.infiniteCount(1));
    assertEquals(0, s.nanCount(1));
    assertEquals(1, s.min(0));
    assertEquals(3, s.max(0));
    assertEquals(2, s.mean(0), 1e-15);
    assertEquals(2, s.zeros(1));
    assertEquals(3, s.mean(1), 1e-15);
    assertEquals(3, s.histogram(0, 4).total());
    assertEquals(5, s.histogram(1, 4).total());
  }

  @Test
  void constantEmptyAndExactHistograms() {
    ChannelSketches s = new ChannelSketches(Shape.of(3));
    for (int i = 0; i < 10; i++) {
      s.update(new double[] {7.25, i, Double.NaN});
    }
    SketchHistogram constant = s.histogram(0, 32);
    assertEquals(1, constant.bins());
    assertArrayEquals(new double[] {7.25, 7.25}, constant.edges());
    assertEquals(10, constant.count(0));
    assertEquals(0, s.variance(0));
    assertTrue(Double.isNaN(s.skewness(0)));
    // Ten values 0..9 (KLL is exact below k values): one value a bin.
    SketchHistogram exact = s.histogram(1, 10);
    assertArrayEquals(new long[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, exact.counts());
    SketchHistogram part = s.histogram(1, 2, 2, 6);
    assertEquals(2, part.below());
    assertEquals(3, part.above());
    assertArrayEquals(new long[] {2, 3}, part.counts());
    assertEquals(0, s.histogram(2, 8).bins());
    assertTrue(Double.isNaN(s.quantile(2, 0.5)));
    assertTrue(Double.isNaN(s.min(2)));
  }

  @Test
  void mappedHistogramOfAnAffineImageOfTheChannel() {
    // Channel 0 = x, channel 1 = 3 x + 5, channel 2 = -2 x + 1: the mapped histograms of channel 0
    // are histograms of channels 1 and 2, within the sketches' errors.
    Random random = new Random(5);
    ChannelSketches s = new ChannelSketches(Shape.of(3));
    int n = 100_000;
    for (int i = 0; i < n; i++) {
      double x = random.nextGaussian() + (random.nextInt(3) == 0 ? 4 : 0);
      s.update(new double[] {x, 3 * x + 5, -2 * x + 1});
    }
    for (double[] map : new double[][] {{3, 5, 1}, {-2, 1, 2}}) {
      SketchHistogram mapped = s.mappedHistogram(0, 40, map[0], map[1]);
      SketchHistogram direct = s.histogram((int) map[2], 40);
      assertEquals(n, mapped.total());
      for (int i = 0; i <= 40; i++) {
        assertEquals(direct.edges()[i], mapped.edges()[i], 1e-12 * (1 + Math.abs(direct.edges()[i])));
      }
      for (int i = 0; i < 40; i++) {
        assertTrue(Math.abs(direct.count(i) - mapped.count(i)) <= 4 * EPS * n, "bin " + i);
      }
      assertEquals(map[0] * s.min(0) + map[1], map[0] > 0 ? mapped.edges()[0] : mapped.edges()[40], 1e-12);
    }
    SketchHistogram zero = s.mappedHistogram(0, 40, 0, 0.5);
    assertArrayEquals(new double[] {0.5, 0.5}, zero.edges());
    assertEquals(n, zero.total());
    assertThrows(IllegalArgumentException.class, () -> s.mappedHistogram(0, 40, Double.NaN, 0));
  }

  @Test
  void thousandChannels() {
    Shape shape = Shape.of(1000);
    Random random = new Random(6);
    ChannelSketches a = new ChannelSketches(shape);
    ChannelSketches b = new ChannelSketches(shape);
    float[] row = new float[1000];
    for (int r = 0; r < 3_000; r++) {
      for (int c = 0; c < 1000; c++) {
        row[c] = (float) (c + random.nextGaussian());
      }
      (r % 2 == 0 ? a : b).update(row);
    }
    ChannelSketches merged = ChannelSketches.fromBytes(a.merge(b).toBytes());
    for (int c = 0; c < 1000; c += 111) {
      assertEquals(3_000, merged.finiteCount(c));
      assertEquals(c, merged.quantile(c, 0.5), 0.15);
      assertEquals(1, merged.variance(c), 0.1);
      ChannelFlags flags = ChannelFlags.of(merged, c, 1e-5);
      assertTrue(flags.flags().isEmpty(), flags.explanations().toString());
    }
  }

  @Test
  void refusesWrongShapesAndArguments() {
    ChannelSketches s = new ChannelSketches(Shape.of(2, 2));
    assertThrows(IllegalArgumentException.class, () -> s.update(new double[3]));
    assertThrows(IllegalArgumentException.class, () -> s.merge(new ChannelSketches(Shape.of(4))));
    assertThrows(IllegalArgumentException.class, () -> s.quantile(0, 1.5));
    assertThrows(IllegalArgumentException.class, () -> s.histogram(0, 0));
    assertThrows(IllegalArgumentException.class, () -> new ChannelSketches(Shape.of(2), 4));
    assertEquals(0.0165, s.rankError(), 0.0001);
  }
}
