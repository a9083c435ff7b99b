package io.sparknorm.report;

import java.util.List;
import java.util.Objects;

/**
 * One channel compared with a reference profile, as the page shows it: the figures of the comparison, the modes'
 * locations then and now, how far past its thresholds the channel is, and the reference's histogram over the same
 * bin edges as the channel's input histogram, its counts rescaled to the input's total so the two overlay.
 *
 * @param meanShiftSd (mean now - mean ref) / std ref
 * @param varRatio var now / var ref
 * @param psi population stability index over the reference's deciles
 * @param ks Kolmogorov-Smirnov distance between the two distributions
 * @param ksError the bound on ks's error from the sketches (0 when exact)
 * @param wassersteinSd Wasserstein-1 distance / std ref
 * @param outOfRange the share of the values now outside the reference's [min, max]
 * @param modesReference the reference's modes (their locations)
 * @param modesNow the modes now (their locations)
 * @param severity the largest figure over its threshold (above 1 when flagged); orders the channels by how bad
 * @param reference the reference's histogram on the input histogram's edges
 */
public record ChannelShiftReport(double meanShiftSd, double varRatio, double psi, double ks, double ksError,
    double wassersteinSd, double outOfRange, List<Double> modesReference, List<Double> modesNow, double severity,
    ChannelHistogram reference) {
  public ChannelShiftReport {
    modesReference = modesReference == null ? List.of() : List.copyOf(modesReference);
    modesNow = modesNow == null ? List.of() : List.copyOf(modesNow);
    Objects.requireNonNull(reference, "reference histogram");
  }
}
