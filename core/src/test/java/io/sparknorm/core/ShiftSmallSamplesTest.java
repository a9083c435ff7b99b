package io.sparknorm.core;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * No shift in few values: random halves of small samples of the generated data ({@link ShiftData},
 * 100 channels, 10 datasets each) flag at most 1% of the channels, where chance, not the material
 * bounds, decides (a few dozen values per side, as a small --by key has).
 */
class ShiftSmallSamplesTest {

  @Test
  void smallRandomHalvesAreNotFlagged() {
    int channels = 100;
    for (int rows : new int[] {60, 200, 2_000}) {
      int flagged = 0;
      int total = 0;
      for (int seed = 0; seed < 10; seed++) {
        ShiftData data = new ShiftData(channels, 1000 + seed);
        SplittableRandom r = new SplittableRandom(seed);
        ChannelSketches a = new ChannelSketches(Shape.of(channels));
        ChannelSketches b = new ChannelSketches(Shape.of(channels));
        double[] row = new double[channels];
        for (int i = 0; i < rows; i++) {
          data.row(r, row);
          (r.nextBoolean() ? a : b).update(row);
        }
        flagged += CovariateShift.compare(StatisticsProfile.of(a, null), StatisticsProfile.of(b, null)).flagged();
        total += channels;
      }
      System.out.printf("generated, no shift, %d rows split in two: %d of %d channels flagged (%.2f%%)%n", rows, flagged,
          total, 100.0 * flagged / total);
      assertTrue(flagged <= 0.01 * total, rows + " rows: " + flagged + " of " + total);
    }
  }
}
