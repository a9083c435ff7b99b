package io.sparknorm.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Peaks.modes: the clear peaks of Peaks.count with their basins and masses. */
class PeaksModesTest {

  private static ChannelSketches channels(int rows, long seed) {
    ChannelSketches s = new ChannelSketches(Shape.of(6));
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < rows; i++) {
      double g = r.nextGaussian();
      double u = r.nextDouble();
      s.update(new double[] {
          (r.nextDouble() < 0.3 ? -4 : 4) + g, // two modes, 30% and 70%
          r.nextDouble() < 0.8 ? 0 : u < 0.25 ? 10 : u < 0.75 ? 11 : 12, // integers with a gap: 0, then 10..12
          g, // one mode
          2.5, // constant
          Double.NaN, // no finite values
          (r.nextDouble() < 0.3 ? -6 : r.nextDouble() < 0.5 ? 0 : 6) + g}); // three modes
    }
    return s;
  }

  @Test
  void twoNormalModesSplitAtTheDip() {
    ChannelSketches s = channels(50_000, 1);
    List<Mode> modes = Peaks.modes(s, 0);
    assertEquals(2, modes.size(), modes.toString());
    Mode low = modes.get(0);
    Mode high = modes.get(1);
    assertTrue(Math.abs(low.location() + 4) < 0.5 && Math.abs(high.location() - 4) < 0.5, modes.toString());
    assertEquals(s.min(0), low.lo());
    assertEquals(s.max(0), high.hi());
    // The basins meet at the dip's bin, between the modes (its edges one bin apart).
    assertTrue(low.hi() > -2 && low.hi() < 2 && high.lo() < low.hi() && high.lo() > -2, modes.toString());
    assertTrue(Math.abs(low.mass() - 0.3) < 0.03 && Math.abs(high.mass() - 0.7) < 0.03, modes.toString());
    assertEquals(3, Peaks.modes(s, 5).size(), Peaks.modes(s, 5).toString());
  }

  @Test
  void aDiscreteChannelsGapIsADip() {
    ChannelSketches s = channels(20_000, 2);
    List<Mode> modes = Peaks.modes(s, 1);
    assertEquals(2, modes.size(), modes.toString());
    assertEquals(0, modes.get(0).location());
    assertEquals(0, modes.get(0).lo());
    assertEquals(1, modes.get(0).hi()); // the first of the equal lowest points between 0 and 11
    assertTrue(Math.abs(modes.get(0).mass() - 0.8) < 0.02, modes.toString());
    assertEquals(11, modes.get(1).location());
    assertEquals(1, modes.get(1).lo());
    assertEquals(12, modes.get(1).hi());
    assertTrue(Math.abs(modes.get(1).mass() - 0.2) < 0.02, modes.toString());
  }

  @Test
  void oneModeOverEverythingOrNone() {
    ChannelSketches s = channels(5_000, 3);
    List<Mode> normal = Peaks.modes(s, 2);
    assertEquals(1, normal.size());
    assertEquals(s.min(2), normal.get(0).lo());
    assertEquals(s.max(2), normal.get(0).hi());
    assertEquals(1.0, normal.get(0).mass());
    assertEquals(List.of(new Mode(2.5, 2.5, 2.5, 1)), Peaks.modes(s, 3));
    assertEquals(List.of(), Peaks.modes(s, 4));
  }

  @Test
  void asManyModesAsPeaksCounts() {
    for (int seed = 0; seed < 20; seed++) {
      ChannelSketches s = channels(300 + 500 * seed, seed);
      for (int c = 0; c < 6; c++) {
        ChannelSummary summary = s.summary(c);
        int count = summary.finite() == 0 ? 0 : Peaks.count(s, c, summary);
        assertEquals(count, Peaks.modes(s, c).size(), "seed " + seed + ", channel " + c);
      }
    }
  }
}
