package io.sparknorm.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.junit.jupiter.api.Test;

class KllFeederTest {

  /** The zero-one principle: a comparator network that sorts all 2^16 inputs of 0s and 1s sorts every input. */
  @Test
  void theNetworkSortsEveryInput() {
    double[] key = new double[16];
    for (int bits = 0; bits < 1 << 16; bits++) {
      for (int i = 0; i < 16; i++) {
        key[i] = (bits >>> i) & 1;
      }
      KllFeeder.sort(key);
      for (int i = 1; i < 16; i++) {
        assertTrue(key[i - 1] <= key[i], "input " + Integer.toBinaryString(bits));
      }
    }
    Random random = new Random(1);
    for (int trial = 0; trial < 1000; trial++) {
      for (int i = 0; i < 16; i++) {
        key[i] = random.nextInt(3) == 0 ? random.nextInt(4) : random.nextGaussian() * 1e300;
      }
      double[] expected = key.clone();
      Arrays.sort(expected);
      KllFeeder.sort(key);
      assertArrayEquals(expected, key);
    }
  }

  @Test
  void compactedRunsKeepEveryValuesWeightAndTheRankError() {
    Random random = new Random(2);
    KllDoublesSketch[] sketches = {KllDoublesSketch.newHeapInstance(200)};
    KllFeeder feeder = new KllFeeder(sketches, 200);
    int n = 300_000;
    double[] all = new double[n];
    double[] block = new double[250]; // not a multiple of 16: leftovers go in as they are
    long seen = 0;
    for (int from = 0; from < n; from += block.length) {
      for (int i = 0; i < block.length; i++) {
        block[i] = random.nextDouble() < 0.3 ? 0.0 : -Math.log(random.nextDouble());
        all[from + i] = block[i];
      }
      feeder.add(0, block, 0, block.length, seen);
      seen += block.length;
    }
    feeder.fold(0);
    assertEquals(n, sketches[0].getN());
    Arrays.sort(all);
    double eps = KllDoublesSketch.getNormalizedRankError(200, true);
    for (double rank = 0.31; rank < 1; rank += 0.01) {
      double q = sketches[0].getQuantile(rank);
      double miss = ChannelSketchesTest.rankMiss(all, q, rank);
      assertTrue(miss <= eps, "rank " + rank + " missed by " + miss);
    }
    // The 30% zeros stay exactly one value, 0.0 (no -0.0).
    assertEquals(0.0, sketches[0].getQuantile(0.1));
    assertEquals(Double.doubleToRawLongBits(0.0), Double.doubleToRawLongBits(sketches[0].getQuantile(0.2)));
  }
}
