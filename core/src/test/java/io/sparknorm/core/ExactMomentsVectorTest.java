package io.sparknorm.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.testing.ChildProcess;
import java.io.File;
import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The SIMD staging step ({@link VectorMomentsStage}) leaves exactly the state the integer buckets
 * leave: the same bytes, on data that fills its grids to the bounds, moves them, misses them and
 * reaches the ends of the double range; and a JVM without the Vector API gets the same state.
 */
class ExactMomentsVectorTest {

  /** The test JVM has the Vector API (surefire passes Spark's module flags): else nothing here would test it. */
  @Test
  void theVectorApiIsThere() {
    assertTrue(Simd.AVAILABLE, "jdk.incubator.vector is not in this JVM");
    assertTrue(VectorMomentsStage.serves(Shape.of(64)));
    assertTrue(VectorMomentsStage.serves(Shape.of(3, 32, 32)));
    assertFalse(VectorMomentsStage.serves(Shape.of(13)), "13 channels do not fill vectors");
  }

  /** Data makers: each gives the value at (sample s, flat index i). */
  interface Maker {
    double value(Random random, int s, int i);
  }

  static final Maker NORMAL = (r, s, i) -> r.nextGaussian();
  static final Maker OFFSET = (r, s, i) -> 1e8 + 0.1 * r.nextGaussian();
  /** Lognormal over 20 binades either side of 1, either sign: most values off any one grid. */
  static final Maker WIDE = (r, s, i) -> (r.nextBoolean() ? 1 : -1) * Math.exp(7 * r.nextGaussian());
  /** The scale drifts over 40 binades and back: grids move up and down. */
  static final Maker DRIFT = (r, s, i) -> Math.scalb(1 + r.nextDouble(), Math.abs((s / 40) % 80 - 40) - 20);
  /** Zeros, subnormals, the smallest normal, and values near the ends of the double range among normal ones. */
  static final Maker SPECIAL = (r, s, i) -> {
    switch (r.nextInt(12)) {
      case 0: return r.nextBoolean() ? 0.0 : -0.0;
      case 1: return Double.longBitsToDouble(r.nextLong() & 0x800F_FFFF_FFFF_FFFFL);
      case 2: return Double.MIN_NORMAL;
      case 3: return 1e150 * (1 + r.nextDouble());
      case 4: return -1e200 * (1 + r.nextDouble());
      case 5: return 1e-140 * r.nextGaussian();
      case 6: return 1e-130 * r.nextGaussian();
      default: return r.nextGaussian();
    }
  };
  /**
   * The grid's edges: the first block places a grid [2^-12, 4) (top E = 2); then, all of one sign
   * per channel, values of full mantissas just under 4 (the largest parts of x and of its square),
   * values whose squares round farthest from the squares' grid (the largest parts l2, two thirds
   * of the values) and values just over 2^-12 (the finest grids), so every part's sum nears its
   * bound between flushes: with 4 times as many values between flushes the sum of l2 rounds.
   */
  static final Maker EDGES = (r, s, i) -> {
    double sign = i % 2 == 0 ? 1 : -1;
    if (s < 16) {
      return sign * (1 + r.nextDouble());
    }
    long fraction = r.nextLong() & 0x000F_FFFF_FFFF_FFFFL;
    switch ((s + i) % 6) {
      case 0:
        return sign * (Math.nextDown(4.0) - Math.ulp(2.0) * (fraction & 0xFFFF));
      case 1:
        return sign * Math.scalb(Double.longBitsToDouble(0x3FF0_0000_0000_0000L | fraction), -12);
      default:
        // x*x just under half a step of the squares' grid 2^-35 above a grid point in [8, 16).
        return sign * Math.sqrt(8 + 0x1p-35 * (fraction & 0xFFFF_FFFFL) + 0x1p-36 - 0x1p-47);
    }
  };

  /**
   * The running sums' edge: after the same first block, every value of a channel of one sign and
   * just under 4, so the running sums of x and x*x move as far from their constants as a flush
   * lets them (4,095 * 4 against the quarter binade 2^14 left above M = 3 * 2^14).
   */
  static final Maker TOP = (r, s, i) -> {
    double sign = i % 2 == 0 ? 1 : -1;
    if (s < 16) {
      return sign * (1 + r.nextDouble());
    }
    return sign * (Math.nextDown(4.0) - Math.ulp(2.0) * (r.nextInt() & 0xFFFF));
  };

  static List<double[]> samples(Shape shape, int count, Maker maker, long seed) {
    Random random = new Random(seed);
    List<double[]> samples = new ArrayList<>(count);
    for (int s = 0; s < count; s++) {
      double[] sample = new double[shape.size()];
      for (int i = 0; i < sample.length; i++) {
        sample[i] = maker.value(random, s, i);
      }
      samples.add(sample);
    }
    return samples;
  }

  /** SIMD and buckets fed the same samples (the SIMD one read back every readEvery samples, 0: never). */
  private static void assertSameState(Shape shape, List<double[]> samples, int readEvery, String what) {
    ExactMoments simd = new ExactMoments(shape, SampleStage.Choice.SIMD);
    ExactMoments buckets = new ExactMoments(shape, SampleStage.Choice.BUCKETS);
    for (int s = 0; s < samples.size(); s++) {
      simd.update(samples.get(s));
      buckets.update(samples.get(s));
      if (readEvery > 0 && s % readEvery == readEvery - 1) {
        simd.sum(0); // flushes mid-block
      }
    }
    assertArrayEquals(buckets.toBytes(), simd.toBytes(), what + " " + shape);
  }

  @Test
  void rowsGiveTheBucketsState() {
    Maker[] makers = {NORMAL, OFFSET, WIDE, DRIFT, SPECIAL, EDGES, TOP};
    String[] names = {"normal", "offset", "wide", "drift", "special", "edges", "top"};
    for (Shape shape : List.of(Shape.of(8), Shape.of(64), Shape.of(24))) {
      for (int m = 0; m < makers.length; m++) {
        List<double[]> samples = samples(shape, 10_000, makers[m], 31 * m + shape.size());
        assertSameState(shape, samples, 0, names[m]);
        assertSameState(shape, samples, 777, names[m] + " read every 777");
      }
    }
  }

  @Test
  void spatialSamplesGiveTheBucketsState() {
    Maker[] makers = {NORMAL, OFFSET, WIDE, DRIFT, SPECIAL, EDGES};
    String[] names = {"normal", "offset", "wide", "drift", "special", "edges"};
    for (int m = 0; m < makers.length; m++) {
      // S = 49: one value a channel beyond the vectors; S = 40,000: more than a flush's worth a sample.
      assertSameState(Shape.of(2, 7, 7), samples(Shape.of(2, 7, 7), 2_000, makers[m], m), 333, names[m]);
      assertSameState(Shape.of(3, 8, 8), samples(Shape.of(3, 8, 8), 500, makers[m], 7 + m), 0, names[m]);
      assertSameState(Shape.of(1, 40_000), samples(Shape.of(1, 40_000), 12, makers[m], 13 + m), 5, names[m]);
    }
  }

  /** The sums at the grid's bounds against an independent reference (BigInteger), not only against the buckets. */
  @Test
  void edgeSumsAreExact() {
    Shape shape = Shape.of(8);
    for (Maker maker : List.of(EDGES, TOP)) {
      List<double[]> samples = samples(shape, 40_000, maker, 5);
      ExactMoments simd = new ExactMoments(shape, SampleStage.Choice.SIMD);
      samples.forEach(simd::update);
      for (int c = 0; c < 8; c++) {
        ExactReference.Sums reference = new ExactReference.Sums();
        for (double[] sample : samples) {
          reference.add(sample[c]);
        }
        String what = (maker == TOP ? "top" : "edges") + ", channel " + c;
        assertEquals(reference.sum, scaled(simd.sum(c)), "sum, " + what);
        assertEquals(reference.squares, scaled(simd.sumOfSquares(c)), "sum of squares, " + what);
      }
    }
  }

  private static BigInteger scaled(ExactSum sum) {
    return sum.toBigDecimal().multiply(new java.math.BigDecimal(BigInteger.ONE.shiftLeft(ExactReference.SCALE)))
        .toBigIntegerExact();
  }

  @Test
  void floatSamplesGiveTheBucketsState() {
    for (Shape shape : List.of(Shape.of(16), Shape.of(2, 5, 5))) {
      Random random = new Random(shape.size());
      ExactMoments simd = new ExactMoments(shape, SampleStage.Choice.SIMD);
      ExactMoments buckets = new ExactMoments(shape, SampleStage.Choice.BUCKETS);
      for (int s = 0; s < 20_000; s++) {
        float[] sample = new float[shape.size()];
        for (int i = 0; i < sample.length; i++) {
          int kind = random.nextInt(8);
          sample[i] = kind == 0 ? Float.intBitsToFloat(random.nextInt() & 0x807F_FFFF) // subnormal or zero
              : kind == 1 ? (float) Math.scalb(random.nextGaussian(), random.nextInt(200) - 100)
              : (float) random.nextGaussian();
        }
        simd.update(sample);
        buckets.update(sample);
      }
      assertArrayEquals(buckets.toBytes(), simd.toBytes(), "float " + shape);
    }
  }

  @Test
  void nonFiniteValuesAreRecordedAlike() {
    Shape shape = Shape.of(8);
    List<double[]> samples = samples(shape, 100, NORMAL, 3);
    samples.get(40)[2] = Double.NaN;
    samples.get(70)[5] = Double.NEGATIVE_INFINITY;
    assertSameState(shape, samples, 0, "NaN and -Infinity");
  }

  /**
   * By default a state stages with the buckets until its JVM has staged {@link
   * Simd#WARM_UP_VALUES} values with them (the SIMD kernel's warm-up would cost more), then moves
   * to SIMD mid-stream, reaching the buckets' state. In a fresh JVM, so that no earlier test has
   * counted values already.
   */
  @Test
  void aDefaultStateMovesToSimdOnceItPays() {
    String output = child("--add-modules=jdk.incubator.vector", "adaptive");
    String[] words = output.split(" ");
    assertEquals(3, words.length, output);
    long switchedAt = Long.parseLong(words[0]);
    long first = Simd.WARM_UP_VALUES / 64;
    assertTrue(switchedAt >= first && switchedAt <= first + (1 << 16) / 64, "moved to SIMD at row " + switchedAt);
    assertEquals(words[1], words[2], "adaptive and bucket states differ");
  }

  /** The adaptive scenario, in the child: rows until the state moves, 5,000 more; prints that row and both states. */
  private static String adaptive() {
    Shape shape = Shape.of(64);
    ExactMoments adaptive = new ExactMoments(shape);
    ExactMoments buckets = new ExactMoments(shape, SampleStage.Choice.BUCKETS);
    Random random = new Random(17);
    double[][] cycle = new double[1024][64];
    for (double[] r : cycle) {
      for (int c = 0; c < 64; c++) {
        r[c] = c + random.nextGaussian();
      }
    }
    double[] row = new double[64];
    long rows = 0;
    long limit = Simd.WARM_UP_VALUES / 64 + 10_000;
    while (!adaptive.stagesWithSimd() && rows < limit) {
      adaptive.update(cycle[(int) (rows & 1023)]);
      buckets.update(cycle[(int) (rows & 1023)]);
      rows++;
    }
    long switchedAt = adaptive.stagesWithSimd() ? rows : -1;
    for (int i = 0; i < 5_000; i++) {
      for (int c = 0; c < 64; c++) {
        row[c] = c * random.nextGaussian();
      }
      adaptive.update(row);
      buckets.update(row);
    }
    return switchedAt + " " + HexFormat.of().formatHex(adaptive.toBytes()) + " "
        + HexFormat.of().formatHex(buckets.toBytes());
  }

  /** Runs this class's main in a new JVM with these JVM options and arguments; its standard output. */
  private static String child(String... optionsAndArgs) {
    String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
    List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path")));
    List<String> rest = List.of(optionsAndArgs);
    command.addAll(rest.stream().filter(o -> o.startsWith("-")).toList());
    command.add(ExactMomentsVectorTest.class.getName());
    command.addAll(rest.stream().filter(o -> !o.startsWith("-")).toList());
    ChildProcess.Result result = ChildProcess.of(command).run(Duration.ofSeconds(120));
    assertEquals(0, result.exitCode(), result::describe);
    return result.stdout().strip();
  }

  /** A JVM without the Vector API module stages with the buckets alone and reaches the same state. */
  @Test
  void aJvmWithoutTheVectorApiGetsTheSameState() {
    String output = child();
    ExactMoments buckets = new ExactMoments(Shape.of(64), SampleStage.Choice.BUCKETS);
    samples(Shape.of(64), 3_000, WIDE, 99).forEach(buckets::update);
    assertEquals("simd=false " + HexFormat.of().formatHex(buckets.toBytes()), output);
  }

  /**
   * The child JVM: with "adaptive", {@link #adaptive()}; else, without the module flags, default
   * moments of 3,000 rows and whether SIMD was there ({@link #aJvmWithoutTheVectorApiGetsTheSameState}).
   */
  public static void main(String[] args) {
    if (args.length == 1 && args[0].equals("adaptive")) {
      System.out.println(adaptive());
      return;
    }
    ExactMoments moments = new ExactMoments(Shape.of(64));
    samples(Shape.of(64), 3_000, WIDE, 99).forEach(moments::update);
    System.out.println("simd=" + Simd.AVAILABLE + " " + HexFormat.of().formatHex(moments.toBytes()));
  }
}
