package io.sparknorm.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The thresholds on the project's data/digits.jsonl (1,797 8x8 images of digits, 64 channels of
 * integers 0..16): random halves are not flagged, and removing a digit class loses exactly the
 * modes it held.
 */
class ShiftDigitsTest {
  static final int PIXELS = 64;
  static final List<double[]> rows = new ArrayList<>();
  static final List<Integer> labels = new ArrayList<>();

  @BeforeAll
  static void read() throws IOException {
    ObjectMapper json = new ObjectMapper();
    for (String line : Files.readAllLines(Path.of("../data/digits.jsonl"))) {
      JsonNode row = json.readTree(line);
      double[] pixels = new double[PIXELS];
      for (int p = 0; p < PIXELS; p++) {
        pixels[p] = row.get("features").get(p).asDouble();
      }
      rows.add(pixels);
      labels.add(row.get("label").asInt());
    }
    assertEquals(1797, rows.size());
  }

  @Test
  void randomHalvesAreNotFlagged() {
    int seeds = 20;
    int flagged = 0;
    for (int seed = 0; seed < seeds; seed++) {
      SplittableRandom r = new SplittableRandom(seed);
      ChannelSketches a = new ChannelSketches(Shape.of(PIXELS));
      ChannelSketches b = new ChannelSketches(Shape.of(PIXELS));
      for (double[] row : rows) {
        (r.nextBoolean() ? a : b).update(row);
      }
      flagged += CovariateShift.compare(StatisticsProfile.of(a, null), StatisticsProfile.of(b, null)).flagged();
    }
    int channels = seeds * PIXELS;
    System.out.printf("digits, no shift: %d of %d channels flagged (%.2f%%) over %d random halvings%n", flagged, channels,
        100.0 * flagged / channels, seeds);
    assertTrue(flagged <= 0.01 * channels, flagged + " of " + channels);
  }

  /**
   * Per class removed from half B, each of half A's pixel modes: its exact mass (counted) in A and
   * in B without the class. A mode flagged lost must have kept less than MODE_KEPT of its mass, and
   * one that kept less than 0.6 of that (a clear loss) must be flagged. On these 8x8 digits no pixel
   * mode belongs to one class (the largest share of a mode is 0.67, class 7's in pixel 60's mode at
   * 0), so no class takes 75% of a mode with it and none is flagged lost.
   */
  @Test
  void aClassRemovedLosesOnlyTheModesItHeld() {
    int lost = 0;
    double smallestKept = Double.POSITIVE_INFINITY;
    for (int cls = 0; cls < 10; cls++) {
      SplittableRandom r = new SplittableRandom(99);
      ChannelSketches a = new ChannelSketches(Shape.of(PIXELS));
      ChannelSketches b = new ChannelSketches(Shape.of(PIXELS));
      List<double[]> rowsA = new ArrayList<>();
      List<double[]> rowsB = new ArrayList<>();
      for (int i = 0; i < rows.size(); i++) {
        if (r.nextBoolean()) {
          a.update(rows.get(i));
          rowsA.add(rows.get(i));
        } else if (labels.get(i) != cls) {
          b.update(rows.get(i));
          rowsB.add(rows.get(i));
        }
      }
      StatisticsProfile reference = StatisticsProfile.of(a, null);
      ShiftResult result = CovariateShift.compare(reference, StatisticsProfile.of(b, null));
      for (int p = 0; p < PIXELS; p++) {
        ChannelShift shift = result.channels().get(p);
        for (Mode m : reference.channel(p).modes()) {
          double kept = mass(rowsB, p, m) / mass(rowsA, p, m);
          smallestKept = Math.min(smallestKept, kept);
          boolean flagged = shift.lost().contains(m);
          String at = "class " + cls + " removed, pixel " + p + ", mode " + m + ": kept " + kept;
          assertTrue(!flagged || kept < ShiftThresholds.MODE_KEPT, at);
          assertTrue(flagged || kept >= 0.6 * ShiftThresholds.MODE_KEPT, at);
          lost += flagged ? 1 : 0;
        }
        assertEquals(shift.lost().isEmpty(), !shift.flags().contains(ShiftFlag.MODE_LOST));
      }
    }
    System.out.printf("digits, one class removed: %d modes flagged lost; the smallest share of a mode's mass kept %.3f%n",
        lost, smallestKept);
    assertEquals(0, lost);
  }

  /** The exact fraction of the rows whose pixel p lies in the mode's [lo, hi]. */
  private static double mass(List<double[]> rows, int p, Mode m) {
    long in = rows.stream().filter(row -> row[p] >= m.lo() && row[p] <= m.hi()).count();
    return (double) in / rows.size();
  }
}
