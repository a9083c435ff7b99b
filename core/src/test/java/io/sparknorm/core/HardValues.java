package io.sparknorm.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleSupplier;

/** Kinds of data that are hard on statistics, for the exact moments' tests; each draws from the given numbers. */
final class HardValues {
  private HardValues() {}

  /** Four kinds, one per channel in a sample. */
  static List<DoubleSupplier> kinds(Random random) {
    return List.of(
        // 1e8 + noise: the naive sum of squares cancels catastrophically.
        () -> 1e8 + 0.1 * random.nextGaussian(),
        // Magnitudes from 1e-30 to 1e30 in one channel.
        () -> (random.nextBoolean() ? 1 : -1) * (1 + random.nextDouble())
            * Math.pow(10, -30 + 60 * random.nextDouble()),
        // Subnormals, zeros and values near 2^-535, whose squares and variance (about 2^-1071) are subnormal.
        () -> {
          int k = random.nextInt(4);
          return k == 0 ? Double.longBitsToDouble(random.nextLong() & 0x800F_FFFF_FFFF_FFFFL)
              : k == 1 ? (random.nextBoolean() ? 0.0 : -0.0) : 0x1p-535 * random.nextGaussian();
        },
        // Large values whose variance is near the top of the double range.
        () -> 1e153 * random.nextGaussian() + 3e152);
  }

  /** {@link #kinds}, then only subnormals (everything fits the range even divided by 1e-300) and 8-bit pixels. */
  static List<DoubleSupplier> moreKinds(Random random) {
    List<DoubleSupplier> kinds = new ArrayList<>(kinds(random));
    kinds.add(() -> Double.longBitsToDouble(random.nextLong() & 0x800F_FFFF_FFFF_FFFFL));
    kinds.add(() -> random.nextInt(256));
    return kinds;
  }
}
