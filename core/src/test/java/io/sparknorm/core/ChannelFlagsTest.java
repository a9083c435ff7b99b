package io.sparknorm.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparknorm.core.ChannelFlags.Flag;
import java.io.BufferedReader;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

class ChannelFlagsTest {

  private static final double EPS = 1e-5;

  /** One channel of n values from the generator. */
  private static ChannelSketches channel(int n, DoubleSupplier values) {
    ChannelSketches s = new ChannelSketches(Shape.of(1));
    double[] row = new double[1];
    for (int i = 0; i < n; i++) {
      row[0] = values.getAsDouble();
      s.update(row);
    }
    return s;
  }

  private static Set<Flag> flags(ChannelSketches s) {
    ChannelFlags flags = ChannelFlags.of(s, 0, EPS);
    assertEquals(flags.flags(), flags.explanations().keySet());
    flags.explanations().values().forEach(text -> assertFalse(text.isBlank()));
    return flags.flags().isEmpty() ? EnumSet.noneOf(Flag.class) : EnumSet.copyOf(flags.flags());
  }

  @Test
  void constructedChannels() {
    Random random = new Random(8);
    for (int n : new int[] {2_000, 200_000}) {
      assertEquals(EnumSet.noneOf(Flag.class), flags(channel(n, random::nextGaussian)), "normal");
      assertEquals(EnumSet.noneOf(Flag.class), flags(channel(n, random::nextDouble)), "uniform");
      assertEquals(EnumSet.noneOf(Flag.class), flags(channel(n, () -> -Math.log(1 - random.nextDouble()))),
          "exponential");
      assertEquals(EnumSet.of(Flag.MULTIMODAL),
          flags(channel(n, () -> random.nextGaussian() + (random.nextBoolean() ? 3 : -3))), "two bumps");
      assertEquals(EnumSet.of(Flag.MULTIMODAL),
          flags(channel(n, () -> random.nextInt(10) < 3 ? 10 + random.nextGaussian() : random.nextGaussian())),
          "two bumps, 30/70");
      assertEquals(EnumSet.of(Flag.CONSTANT), flags(channel(n, () -> 0.25)), "constant");
      assertEquals(EnumSet.of(Flag.CONSTANT), flags(channel(n, () -> 3 + 1e-4 * random.nextGaussian())),
          "variance 1e-8 < eps");
      int[] i = {0};
      assertEquals(EnumSet.of(Flag.HEAVY_OUTLIERS),
          flags(channel(n, () -> i[0]++ % (n / 5) == 17 ? 1e6 : random.nextGaussian())), "normal + five 1e6");
      assertEquals(EnumSet.of(Flag.MANY_ZEROS),
          flags(channel(n, () -> random.nextInt(10) < 7 ? 0 : Math.abs(random.nextGaussian()))), "70% zeros");
      assertEquals(EnumSet.of(Flag.MANY_ZEROS, Flag.MULTIMODAL),
          flags(channel(n, () -> random.nextInt(10) < 6 ? 0 : 5 + random.nextGaussian())), "60% zeros, bump at 5");
    }
    Set<Flag> all = flags(channel(1_000, () -> random.nextInt(100) == 0 ? Double.NaN : 0));
    assertEquals(EnumSet.of(Flag.CONSTANT, Flag.MANY_ZEROS, Flag.NON_FINITE), all, "zeros and NaN");
    assertEquals(EnumSet.noneOf(Flag.class), flags(new ChannelSketches(Shape.of(1))), "no values");
  }

  @Test
  void unimodalChannelsAreNotMultimodalWhateverTheSeed() {
    Random random = new Random(9);
    for (int trial = 0; trial < 100; trial++) {
      int n = 200 + random.nextInt(20_000);
      assertFalse(flags(channel(n, random::nextDouble)).contains(Flag.MULTIMODAL), "uniform, n = " + n);
      assertFalse(flags(channel(n, random::nextGaussian)).contains(Flag.MULTIMODAL), "normal, n = " + n);
      // Discrete: integers uniform on 0..16, and a geometric distribution (floor of an exponential).
      assertFalse(flags(channel(n, () -> random.nextInt(17))).contains(Flag.MULTIMODAL), "integers, n = " + n);
      assertFalse(flags(channel(n, () -> Math.floor(-3 * Math.log(1 - random.nextDouble())))).contains(
          Flag.MULTIMODAL), "geometric, n = " + n);
    }
  }

  /** Peaks of counts (times 100, so that the dips are far beyond counting noise). */
  private static int peaks(double... counts) {
    double[] scaled = new double[counts.length];
    for (int i = 0; i < counts.length; i++) {
      scaled[i] = 100 * counts[i];
    }
    return Peaks.clearPeaks(scaled, 1);
  }

  @Test
  void clearPeaks() {
    assertEquals(0, peaks(0, 0, 0));
    assertEquals(1, peaks(1, 1, 1, 1));
    assertEquals(1, peaks(1, 3, 5, 3, 1));
    assertEquals(2, peaks(5, 1, 1, 1, 5));
    assertEquals(2, peaks(1, 6, 2, 1, 4, 1));
    // A shoulder (dip above half the lower peak) and a tiny bump (under 5% of the mass) are not peaks.
    assertEquals(1, peaks(1, 8, 5, 6, 2));
    assertEquals(1, peaks(40, 30, 20, 10, 0, 1, 0));
    // Integer values 0..16 with a spike at 0 and a bump near 13: two modes; a binomial: one.
    assertEquals(2, peaks(30, 5, 3, 2, 2, 2, 2, 3, 4, 5, 7, 9, 11, 12, 10, 6, 3));
    assertEquals(1, peaks(1, 8, 28, 56, 70, 56, 28, 8, 1));
    // The same dip in counts of a few values is noise: 20, 9, 19 among 500 values.
    assertEquals(2, Peaks.clearPeaks(new double[] {200, 90, 190}, 1));
    assertEquals(1, Peaks.clearPeaks(new double[] {20, 9, 19}, 1));
    double[] smooth = Peaks.smooth(new double[] {0, 0, 4, 0, 0, 0, 0, 4}, 1.5);
    double total = 0;
    for (double x : smooth) {
      total += x;
    }
    assertEquals(8, total, 1e-12);
  }

  @Test
  void bimodalityCoefficient() {
    // Large n: b = (g1^2 + 1) / b2. Uniform: 1 / 1.8 = 5/9; normal: 1/3; two equal point masses: 1.
    assertEquals(5.0 / 9, ChannelFlags.bimodalityCoefficient(100_000_000, 0, 1.8), 1e-6);
    assertEquals(1.0 / 3, ChannelFlags.bimodalityCoefficient(100_000_000, 0, 3), 1e-6);
    assertEquals(1, ChannelFlags.bimodalityCoefficient(100_000_000, 0, 1), 1e-6);
    // Small n, against the formula with SAS's corrected G1 and G2 written out: n = 10, g1 = 0.5, b2 = 2.
    double g1 = 0.5 * Math.sqrt(90) / 8;
    double g2 = 9 * (11 * (2 - 3.0) + 6) / 56;
    assertEquals((g1 * g1 + 1) / (g2 + 3 * 81 / 56.0), ChannelFlags.bimodalityCoefficient(10, 0.5, 2), 1e-15);
    assertTrue(Double.isNaN(ChannelFlags.bimodalityCoefficient(3, 0, 2)));
  }

  /**
   * sklearn's digits (8 x 8 pixels of 0..16), first 500 rows, as 64 channels: the pixels that stay
   * 0 are CONSTANT and MANY_ZEROS, and pixels that are ink in some digits and blank in others are
   * MULTIMODAL.
   */
  @Test
  void digits() throws Exception {
    ObjectMapper json = new ObjectMapper();
    Shape shape = Shape.of(64);
    ChannelSketches sketches = new ChannelSketches(shape);
    List<double[]> rows = new ArrayList<>();
    try (BufferedReader in = Files.newBufferedReader(GoldenFiles.dataDir().resolve("digits.jsonl"))) {
      for (String line = in.readLine(); line != null && rows.size() < 500; line = in.readLine()) {
        JsonNode features = json.readTree(line).get("features");
        double[] row = new double[64];
        for (int c = 0; c < 64; c++) {
          row[c] = features.get(c).asDouble();
        }
        rows.add(row);
        sketches.update(row);
      }
    }
    assertEquals(500, rows.size());
    List<Integer> alwaysZero = new ArrayList<>();
    List<Integer> multimodal = new ArrayList<>();
    StringBuilder report = new StringBuilder();
    for (int c = 0; c < 64; c++) {
      final int channel = c;
      ChannelFlags flags = ChannelFlags.of(sketches, c, EPS);
      if (rows.stream().allMatch(r -> r[channel] == 0)) {
        alwaysZero.add(c);
        assertTrue(flags.has(Flag.CONSTANT) && flags.has(Flag.MANY_ZEROS), "pixel " + c + ": " + flags);
      } else {
        assertFalse(flags.has(Flag.CONSTANT), "pixel " + c + ": " + flags);
      }
      if (flags.has(Flag.MULTIMODAL)) {
        multimodal.add(c);
      }
      report.append(String.format("  pixel %2d (row %d, col %d): b = %.3f, peaks %d, zeros %3.0f%%, %s%n", c, c / 8,
          c % 8, flags.bimodalityCoefficient(), flags.peaks(), 100.0 * sketches.zeros(c) / 500, flags.flags()));
    }
    System.out.println("digits, first 500 rows: always 0: " + alwaysZero + "; MULTIMODAL: " + multimodal + "\n" + report);
    assertTrue(!alwaysZero.isEmpty(), "pixel 0 is blank in every digit");
    assertTrue(multimodal.size() >= 5, "multimodal pixels: " + multimodal);
  }
}
