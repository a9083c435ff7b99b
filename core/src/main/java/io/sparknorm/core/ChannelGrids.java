package io.sparknorm.core;

import java.util.function.IntConsumer;

/**
 * The per-channel grids of {@link VectorMomentsStage}: each channel's top E (every staged |x| in
 * [2^(E-14), 2^E), or zero), the constants its lanes split values with, and where to move a grid
 * after values missed it. Placement is only about speed: a value off its grid goes to the buckets,
 * exactly, wherever the grid is.
 */
final class ChannelGrids {
  /** Binades a grid holds below its top. */
  static final int WINDOW = 14;
  /** Tops whose grids and constants stay within the double range (2^(2E-132) >= 2^-1074, 2^(2E+14) finite). */
  private static final int MIN_TOP = -460;
  private static final int MAX_TOP = 500;
  private static final int NONE = Integer.MIN_VALUE;

  /**
   * Per lane (index c for one value a channel, c * lanes + lane for vectors within a channel): the
   * constants M = 1.5 * 2^(k + 52) on which the running sums of x, x*x and its rounding error sit,
   * in the binade whose step is their grid 2^k. Read by the kernel; no grid: nothing but zero fits.
   */
  final double[] split1;
  final double[] split2;
  final double[] split3;
  /** The range of |x| that fits, as bits: |x|'s bits less lowestBits, unsigned, below spanBits. */
  final long[] lowestBits;
  final long[] spanBits;

  private final int lanes;
  private final boolean laneIsChannel;
  private final int[] top;
  /** Per channel, since the last placement: misses above and below the grid, and their largest magnitudes. */
  private final int[] above;
  private final int[] below;
  private final double[] aboveMax;
  private final double[] belowMax;
  /** Channels with misses since the last placement. */
  private final int[] missedChannels;
  private int missedCount;

  /** Grids for the channels, one lane each ({@code laneIsChannel}) or {@code lanes} lanes each. */
  ChannelGrids(int channels, boolean laneIsChannel, int lanes) {
    this.lanes = lanes;
    this.laneIsChannel = laneIsChannel;
    int size = laneIsChannel ? channels : channels * lanes;
    split1 = new double[size];
    split2 = new double[size];
    split3 = new double[size];
    lowestBits = new long[size];
    spanBits = new long[size];
    top = new int[channels];
    above = new int[channels];
    below = new int[channels];
    aboveMax = new double[channels];
    belowMax = new double[channels];
    missedChannels = new int[channels];
    for (int c = 0; c < channels; c++) {
      set(c, NONE);
    }
  }

  boolean placed(int c) {
    return top[c] != NONE;
  }

  /**
   * Places channel c's first grid from n of its values, values[from + i * stride], just above the
   * largest finite one, so that its first values fit rather than miss.
   */
  void placeFirst(int c, double[] values, int from, int stride, int n) {
    double largest = 0;
    for (int i = 0, o = from; i < n; i++, o += stride) {
      double magnitude = Math.abs(values[o]);
      if (magnitude > largest && magnitude < Double.POSITIVE_INFINITY) {
        largest = magnitude;
      }
    }
    if (largest >= Double.MIN_NORMAL) {
      set(c, Math.getExponent(largest) + 2);
    }
  }

  /** Notes that x of channel c missed its grid. */
  void missed(int c, double x) {
    double magnitude = Math.abs(x);
    if (magnitude < Double.MIN_NORMAL || magnitude == Double.POSITIVE_INFINITY || magnitude != magnitude) {
      return; // subnormal, infinite or NaN: no grid holds it
    }
    if (above[c] + below[c] == 0) {
      missedChannels[missedCount++] = c;
    }
    if (top[c] == NONE || magnitude >= Math.scalb(1.0, top[c])) {
      above[c]++;
      aboveMax[c] = Math.max(aboveMax[c], magnitude);
    } else {
      below[c]++;
      belowMax[c] = Math.max(belowMax[c], magnitude);
    }
  }

  /**
   * Moves the grid of each channel that missed since the last call: up to the largest value above
   * it when most misses were above, down to the largest below it when more than an eighth of the
   * values (n a channel) were below. Before a grid moves, {@code flush} takes its channel's parts.
   */
  void place(int n, IntConsumer flush) {
    for (int i = 0; i < missedCount; i++) {
      int c = missedChannels[i];
      double to = above[c] > 0 && above[c] >= below[c] ? aboveMax[c] : below[c] > n / 8 ? belowMax[c] : 0;
      if (to > 0) {
        flush.accept(c);
        set(c, Math.getExponent(to) + 2);
      }
      above[c] = 0;
      below[c] = 0;
      aboveMax[c] = 0;
      belowMax[c] = 0;
    }
    missedCount = 0;
  }

  /** Sets channel c's grid to top E; none when E is NONE or beyond the range the bounds hold in. */
  private void set(int c, int e) {
    boolean none = e < MIN_TOP || e > MAX_TOP;
    top[c] = none ? NONE : e;
    double m1 = none ? 0 : Math.scalb(1.5, e + 13);
    double m2 = none ? 0 : Math.scalb(1.5, 2 * e + 13);
    double m3 = none ? 0 : Math.scalb(1.5, 2 * e - 40);
    double low = none ? Double.POSITIVE_INFINITY : Math.scalb(1.0, e - WINDOW);
    double high = none ? Double.POSITIVE_INFINITY : Math.scalb(1.0, e);
    int from = laneIsChannel ? c : c * lanes;
    int to = laneIsChannel ? c + 1 : from + lanes;
    for (int i = from; i < to; i++) {
      split1[i] = m1;
      split2[i] = m2;
      split3[i] = m3;
      lowestBits[i] = Double.doubleToRawLongBits(low);
      spanBits[i] = Double.doubleToRawLongBits(high) - lowestBits[i];
    }
  }
}
