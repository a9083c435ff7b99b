package io.sparknorm.core;

import java.util.SplittableRandom;

/**
 * A generated multi-modal dataset for the shift tests. Each row has a class, 0..9 equally likely
 * (as digits have), and per channel one of nine kinds of distribution: normal; two and three modes
 * six standard deviations apart; uniform; integers 0..16 (a rounded normal); zero-heavy (50% to 85%
 * zeros, the rest exponential); log-normal; exponential; and, for the last {@link #CLASS_PIXELS}
 * channels, a "pixel" that only class {@link #INKING_CLASS} inks (integers near 13 for it, 0 or
 * faint values for the others). Parameters are drawn from the seed; values are positive offsets,
 * as intensities are.
 */
final class ShiftData {
  /** Channels at the end that only {@link #INKING_CLASS} inks. */
  static final int CLASS_PIXELS = 4;
  static final int INKING_CLASS = 3;
  private static final int KINDS = 8;
  private final int[] kind;
  private final double[] location;
  private final double[] scale;
  private final double[] weight;

  ShiftData(int channels, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    kind = new int[channels];
    location = new double[channels];
    scale = new double[channels];
    weight = new double[channels];
    for (int c = 0; c < channels; c++) {
      kind[c] = c >= channels - CLASS_PIXELS ? KINDS : c % KINDS;
      location[c] = 2 + 8 * r.nextDouble();
      scale[c] = 0.5 + 1.5 * r.nextDouble();
      weight[c] = 0.15 + 0.35 * r.nextDouble();
    }
  }

  /**
   * The kind of channel c: 0 normal, 1 two modes, 2 three modes, 3 uniform, 4 integers, 5
   * zero-heavy, 6 log-normal, 7 exponential, 8 a pixel of one class.
   */
  int kind(int c) {
    return kind[c];
  }

  /** The channels' location parameter (the mean of a normal channel). */
  double location(int c) {
    return location[c];
  }

  /** Fills a row of the data and returns its class. */
  int row(SplittableRandom r, double[] out) {
    int cls = r.nextInt(10);
    for (int c = 0; c < out.length; c++) {
      out[c] = value(r, c, cls);
    }
    return cls;
  }

  private double value(SplittableRandom r, int c, int cls) {
    double m = location[c];
    double s = scale[c];
    double w = weight[c];
    switch (kind[c]) {
      case 0:
        return m + s * r.nextGaussian();
      case 1:
        return m + s * (r.nextDouble() < w ? 6 : 0) + s * r.nextGaussian();
      case 2: {
        double u = r.nextDouble();
        return m + s * (u < w ? 0 : u < 2 * w ? 6 : 12) + s * r.nextGaussian();
      }
      case 3:
        return m + 4 * s * r.nextDouble();
      case 4:
        return Math.max(0, Math.min(16, Math.rint(m + 1.5 * s * r.nextGaussian())));
      case 5:
        return r.nextDouble() < 0.35 + w ? 0 : -s * Math.log(1 - r.nextDouble());
      case 6:
        return Math.exp(Math.log(m) + 0.5 * r.nextGaussian());
      case 7:
        return -s * Math.log(1 - r.nextDouble());
      default:
        if (cls == INKING_CLASS) {
          return Math.max(0, Math.min(16, Math.rint(13 + 1.5 * r.nextGaussian())));
        }
        return r.nextDouble() < 0.05 ? 1 + r.nextInt(3) : 0;
    }
  }
}
