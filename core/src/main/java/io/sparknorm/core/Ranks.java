package io.sparknorm.core;

import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.quantilescommon.QuantileSearchCriteria;

/**
 * A channel's estimated distribution function from its KLL sketch and its exact min and max: the
 * sketch's own extremes may lie inside the exact ones ({@link KllFeeder} keeps some values of a run
 * only), so outside [min, max] the ranks are exact, 0 and 1, and the sketch answers between.
 */
final class Ranks {
  private Ranks() {}

  /** The fraction of the values at or below x (NaN for an empty sketch). */
  static double inclusive(KllDoublesSketch sketch, double min, double max, double x) {
    if (sketch.isEmpty()) {
      return Double.NaN;
    }
    return x < min ? 0 : x >= max ? 1 : sketch.getRank(x, QuantileSearchCriteria.INCLUSIVE);
  }

  /** The fraction of the values strictly below x (NaN for an empty sketch). */
  static double exclusive(KllDoublesSketch sketch, double min, double max, double x) {
    if (sketch.isEmpty()) {
      return Double.NaN;
    }
    return x <= min ? 0 : x > max ? 1 : sketch.getRank(x, QuantileSearchCriteria.EXCLUSIVE);
  }
}
