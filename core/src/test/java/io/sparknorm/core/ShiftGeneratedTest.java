package io.sparknorm.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The thresholds on a generated 1,000,000-row dataset of 100 channels ({@link ShiftData}): two
 * random halves must not cry wolf (at most 1% of channels flagged), and every planted shift must
 * be caught with its flag while the channels not planted stay at the no-shift rate. The halves are
 * A (the reference) and B; the shifts are planted into the first 100,000 of B's rows (the channels
 * not planted are B's).
 */
class ShiftGeneratedTest {
  static final int CHANNELS = 100;
  static final int ROWS = 1_000_000;
  static final int PLANTED_ROWS = 100_000;
  /** Channel 0 is normal (kind 0): it gains a cluster; channel 8, normal too, has its scale doubled. */
  static final int CLUSTER = 0;
  static final int SCALED = 8;

  static ShiftData data;
  static StatisticsProfile reference;
  static StatisticsProfile halfB;
  static StatisticsProfile brighter;
  static StatisticsProfile noisier;
  static StatisticsProfile local;
  static StatisticsProfile classRemoved;

  /** Channels with noise added: every third. */
  static boolean noisy(int c) {
    return c % 3 == 0;
  }

  @BeforeAll
  static void generate() {
    data = new ShiftData(CHANNELS, 7);
    double[] sd = pilotStd();
    int[] noisyChannels = java.util.stream.IntStream.range(0, CHANNELS).filter(ShiftGeneratedTest::noisy).toArray();
    ChannelSketches a = new ChannelSketches(Shape.of(CHANNELS));
    ChannelSketches b = new ChannelSketches(Shape.of(CHANNELS));
    ChannelSketches bright = new ChannelSketches(Shape.of(CHANNELS));
    ChannelSketches noise = new ChannelSketches(Shape.of(noisyChannels.length));
    ChannelSketches two = new ChannelSketches(Shape.of(2));
    ChannelSketches removed = new ChannelSketches(Shape.of(CHANNELS));
    SplittableRandom r = new SplittableRandom(11);
    double[] row = new double[CHANNELS];
    double[] scaled = new double[CHANNELS];
    double[] withNoise = new double[noisyChannels.length];
    double[] pair = new double[2];
    int planted = 0;
    for (int i = 0; i < ROWS; i++) {
      int cls = data.row(r, row);
      if (r.nextBoolean()) {
        a.update(row);
        continue;
      }
      b.update(row);
      if (planted++ >= PLANTED_ROWS) {
        continue;
      }
      for (int k = 0; k < noisyChannels.length; k++) {
        int c = noisyChannels[k];
        withNoise[k] = row[c] + 0.5 * sd[c] * r.nextGaussian();
      }
      noise.update(withNoise);
      pair[0] = r.nextDouble() < 0.1 ? data.location(CLUSTER) + sd[CLUSTER] * (8 + 0.5 * r.nextGaussian()) : row[CLUSTER];
      pair[1] = data.location(SCALED) + 2 * (row[SCALED] - data.location(SCALED));
      two.update(pair);
      for (int c = 0; c < CHANNELS; c++) {
        scaled[c] = 1.1 * row[c];
      }
      bright.update(scaled);
      if (cls != ShiftData.INKING_CLASS) {
        removed.update(row);
      }
    }
    reference = StatisticsProfile.of(a, null);
    halfB = StatisticsProfile.of(b, null);
    brighter = StatisticsProfile.of(bright, null);
    classRemoved = StatisticsProfile.of(removed, null);
    StatisticsProfile noiseOnly = StatisticsProfile.of(noise, null);
    List<ChannelProfile> mixed = new ArrayList<>(halfB.channels());
    for (int k = 0; k < noisyChannels.length; k++) {
      mixed.set(noisyChannels[k], reindexed(noiseOnly.channel(k), noisyChannels[k]));
    }
    noisier = new StatisticsProfile(halfB.shape(), halfB.k(), false, mixed);
    StatisticsProfile pairOnly = StatisticsProfile.of(two, null);
    List<ChannelProfile> moved = new ArrayList<>(halfB.channels());
    moved.set(CLUSTER, reindexed(pairOnly.channel(0), CLUSTER));
    moved.set(SCALED, reindexed(pairOnly.channel(1), SCALED));
    local = new StatisticsProfile(halfB.shape(), halfB.k(), false, moved);
  }

  /** Each channel's standard deviation, from rows of another seed (the noise's and the cluster's scale). */
  private static double[] pilotStd() {
    ChannelSketches pilot = new ChannelSketches(Shape.of(CHANNELS));
    SplittableRandom r = new SplittableRandom(5);
    double[] row = new double[CHANNELS];
    for (int i = 0; i < 20_000; i++) {
      data.row(r, row);
      pilot.update(row);
    }
    double[] sd = new double[CHANNELS];
    for (int c = 0; c < CHANNELS; c++) {
      sd[c] = Math.sqrt(pilot.variance(c));
    }
    return sd;
  }

  /** Channel p of a profile of some channels, as channel c of the whole shape. */
  static ChannelProfile reindexed(ChannelProfile p, int c) {
    return new ChannelProfile(c, p.count(), p.finite(), p.nans(), p.infinities(), p.zeros(), p.mean(), p.var(), p.min(),
        p.max(), p.modes(), p.sketch(), p.kurtosis());
  }

  /** At most 1% of n flagged, rounded up. */
  static int noShiftAllowance(int n) {
    return (int) Math.ceil(0.01 * n);
  }

  /**
   * Asserts every planted channel (expected flag not null) has its flag and the others are flagged
   * at most at the no-shift rate; prints the flags raised.
   */
  static void assertCaught(String name, ShiftResult result, IntFunction<ShiftFlag> expected) {
    int plantedCount = 0;
    int unplanted = 0;
    int falseFlags = 0;
    for (ChannelShift c : result.channels()) {
      ShiftFlag flag = expected.apply(c.index());
      if (flag != null) {
        plantedCount++;
        assertTrue(c.flags().contains(flag), name + ": channel " + c.index() + " (kind " + data.kind(c.index())
            + ") lacks " + flag + ": " + c);
      } else {
        unplanted++;
        falseFlags += c.flagged() ? 1 : 0;
      }
    }
    System.out.printf("%s: %d planted channels all caught; flags raised %s; unplanted flagged %d of %d%n", name,
        plantedCount, result.flagCounts(), falseFlags, unplanted);
    assertTrue(falseFlags <= noShiftAllowance(unplanted), name + ": " + falseFlags + " of " + unplanted
        + " channels not planted are flagged");
  }

  @Test
  void randomHalvesAreNotFlagged() {
    ShiftResult result = CovariateShift.compare(reference, halfB);
    double worst = result.channels().stream().mapToDouble(ChannelShift::severity).max().orElseThrow();
    System.out.printf("generated, no shift: %d of %d channels flagged (%.2f%%), largest severity %.3f%n",
        result.flagged(), CHANNELS, 100.0 * result.flagged() / CHANNELS, worst);
    assertTrue(result.flagged() <= noShiftAllowance(CHANNELS), result.flagCounts().toString());
    // The figures of two samples of one distribution are small, so the thresholds have room.
    for (ChannelShift c : result.channels()) {
      assertTrue(c.psi() < 0.02 && c.ks() < c.ksError() && Math.abs(c.meanShiftSd()) < 0.02, c.toString());
    }
  }

  @Test
  void brightnessTimes1Point1IsShiftedEverywhere() {
    assertCaught("brightness x 1.1", CovariateShift.compare(reference, brighter), c -> ShiftFlag.SHIFTED);
  }

  @Test
  void noiseOnAThirdOfTheChannelsIsShiftedThere() {
    assertCaught("noise (sd 0.5 of the channel's) on every third channel", CovariateShift.compare(reference, noisier),
        c -> noisy(c) ? ShiftFlag.SHIFTED : null);
  }

  @Test
  void aNewClusterIsANewModeAndADoubledScaleAShift() {
    ShiftResult result = CovariateShift.compare(reference, local);
    assertCaught("a new cluster (10% at +8 sd) in channel " + CLUSTER + ", scale x 2 in channel " + SCALED, result,
        c -> c == CLUSTER ? ShiftFlag.MODE_NEW : c == SCALED ? ShiftFlag.SHIFTED : null);
    ChannelShift cluster = result.channels().get(CLUSTER);
    assertEquals(1, cluster.gained().size());
    Mode gained = cluster.gained().get(0);
    double expected = data.location(CLUSTER) + 8 * Math.sqrt(reference.channel(CLUSTER).var());
    assertTrue(Math.abs(gained.location() - expected) < 0.5 * Math.sqrt(reference.channel(CLUSTER).var()), gained.toString());
    assertTrue(Math.abs(gained.mass() - 0.1) < 0.02, gained.toString());
    ChannelShift scaled = result.channels().get(SCALED);
    assertTrue(Math.abs(scaled.varRatio() - 4) < 0.1, scaled.toString());
    assertTrue(Math.abs(scaled.meanShiftSd()) < 0.05, scaled.toString());
  }

  @Test
  void aClassRemovedLosesTheModeOfThePixelsOnlyItInks() {
    ShiftResult result = CovariateShift.compare(reference, classRemoved);
    assertCaught("class " + ShiftData.INKING_CLASS + " removed", result,
        c -> data.kind(c) == 8 ? ShiftFlag.MODE_LOST : null);
    for (int c = CHANNELS - ShiftData.CLASS_PIXELS; c < CHANNELS; c++) {
      ChannelShift shift = result.channels().get(c);
      assertEquals(1, shift.lost().size(), shift.toString());
      assertTrue(shift.lost().get(0).location() >= 10, shift.toString());
      assertEquals(Set.of(), Set.copyOf(shift.gained()));
    }
  }
}
