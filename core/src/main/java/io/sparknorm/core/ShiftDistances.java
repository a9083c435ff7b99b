package io.sparknorm.core;

import java.util.Arrays;
import org.apache.datasketches.quantilescommon.DoublesSortedView;
import org.apache.datasketches.quantilescommon.QuantileSearchCriteria;

/**
 * The distances between two channels' estimated distributions ({@link ChannelProfile#rank}): the
 * Kolmogorov-Smirnov distance and Wasserstein-1, both over the union of the two sketches' retained
 * values and the exact extremes (where both step functions change), and the population stability
 * index over the reference's deciles. Both channels must have finite values.
 */
final class ShiftDistances {
  private ShiftDistances() {}

  /** One channel's distribution function as its sketch's sorted values and cumulative weights. */
  private static final class Steps {
    final double[] x;
    final long[] cumulative;
    final double n;
    final double min;
    final double max;
    int at = -1; // the last index with x[at] <= the point walked to

    Steps(ChannelProfile p) {
      DoublesSortedView view = p.sketch().getSortedView();
      x = view.getQuantiles();
      cumulative = view.getCumulativeWeights();
      n = p.sketch().getN();
      min = p.min();
      max = p.max();
    }

    /** Moves to point v (increasing from call to call) and returns F(v) inclusive. */
    double inclusive(double v) {
      while (at + 1 < x.length && x[at + 1] <= v) {
        at++;
      }
      return v < min ? 0 : v >= max ? 1 : at < 0 ? 0 : cumulative[at] / n;
    }

    /** F just below v, after {@link #inclusive}(v): the rank of the values strictly below v. */
    double exclusive(double v) {
      if (v <= min) {
        return 0;
      }
      if (v > max) {
        return 1;
      }
      int i = at;
      while (i >= 0 && x[i] >= v) {
        i--;
      }
      return i < 0 ? 0 : cumulative[i] / n;
    }
  }

  /** {ks, wasserstein (unscaled)} of the two channels. */
  static double[] ksAndWasserstein(ChannelProfile reference, ChannelProfile now) {
    Steps r = new Steps(reference);
    Steps m = new Steps(now);
    double[] points = new double[r.x.length + m.x.length + 4];
    System.arraycopy(r.x, 0, points, 0, r.x.length);
    System.arraycopy(m.x, 0, points, r.x.length, m.x.length);
    int n = r.x.length + m.x.length;
    points[n++] = r.min;
    points[n++] = r.max;
    points[n++] = m.min;
    points[n++] = m.max;
    Arrays.sort(points);
    double ks = 0;
    double wasserstein = 0;
    double previous = Double.NaN;
    double gap = 0; // |F_ref - F_now| on [previous, point)
    for (int i = 0; i < n; i++) {
      double v = points[i];
      if (v == previous) {
        continue;
      }
      if (i > 0) {
        // x / 2 - y / 2: no overflow for the widest finite range
        wasserstein += gap * 2 * (v / 2 - previous / 2);
      }
      double fr = r.inclusive(v);
      double fm = m.inclusive(v);
      gap = Math.abs(fr - fm);
      ks = Math.max(ks, Math.max(gap, Math.abs(r.exclusive(v) - m.exclusive(v))));
      previous = v;
    }
    return new double[] {ks, wasserstein};
  }

  /**
   * The population stability index sum (a - e) ln(a / e) over the bins between the reference's
   * deciles (equal deciles merged, so a discrete channel's bins are distinct): e the reference's
   * share of each bin from its own ranks at the edges, a the share now; both at least
   * {@link ShiftThresholds#MASS_FLOOR}. Returns {psi, bins}.
   */
  static double[] psi(ChannelProfile reference, ChannelProfile now) {
    double[] deciles = new double[9];
    for (int i = 0; i < 9; i++) {
      deciles[i] = (i + 1) / 10.0;
    }
    double[] q = reference.sketch().getQuantiles(deciles, QuantileSearchCriteria.INCLUSIVE);
    double psi = 0;
    double expectedBelow = 0;
    double actualBelow = 0;
    int bins = 0;
    for (int i = 0; i <= q.length; i++) {
      if (i < q.length && i > 0 && q[i] == q[i - 1]) {
        continue;
      }
      double expectedAt = i == q.length ? 1 : reference.rank(q[i]);
      double actualAt = i == q.length ? 1 : now.rank(q[i]);
      psi += term(expectedAt - expectedBelow, actualAt - actualBelow);
      expectedBelow = expectedAt;
      actualBelow = actualAt;
      bins++;
    }
    return new double[] {psi, bins};
  }

  private static double term(double expected, double actual) {
    double e = Math.max(expected, ShiftThresholds.MASS_FLOOR);
    double a = Math.max(actual, ShiftThresholds.MASS_FLOOR);
    return (a - e) * Math.log(a / e);
  }
}
