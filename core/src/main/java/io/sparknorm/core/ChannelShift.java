package io.sparknorm.core;

import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One channel compared with its reference ({@link CovariateShift#compare(ChannelProfile, ChannelProfile)}).
 *
 * @param index the channel
 * @param flags the flags raised (empty: the channel still fits)
 * @param explanations per flag raised, one sentence with the figures behind it
 * @param meanShiftSd (mean now - mean ref) / std ref
 * @param varRatio var now / var ref
 * @param psi population stability index over the reference's deciles
 * @param ks Kolmogorov-Smirnov distance between the two sketches' distributions
 * @param ksError the bound on ks's error from the two sketches: the sum of their rank errors
 *     ({@link ChannelProfile#rankError}, 99% confidence each; 0 when both hold every value)
 * @param wassersteinSd Wasserstein-1 distance / std ref
 * @param outOfRange the share of the values now outside [min ref, max ref]
 * @param modesReference the reference's clear modes
 * @param modesNow the clear modes now
 * @param lost the reference's modes that lost their mass
 * @param gained the modes now where the reference had little mass
 * @param severity how far past its thresholds the channel is: the largest ratio of a figure to its
 *     bound among the figures whose change is significant (|mean shift| / 0.2, |ln var ratio| /
 *     ln 1.15, PSI / 0.25, KS / its bound, out of range / its bound, a mode's mass before times
 *     0.25 / its mass after); at least 1 when flagged, 0 without finite values
 */
public record ChannelShift(int index, Set<ShiftFlag> flags, Map<ShiftFlag, String> explanations, double meanShiftSd,
    double varRatio, double psi, double ks, double ksError, double wassersteinSd, double outOfRange,
    List<Mode> modesReference, List<Mode> modesNow, List<Mode> lost, List<Mode> gained, double severity) {

  /** The lists, flags and explanations are copied (flags and explanations kept in ShiftFlag's order). */
  public ChannelShift {
    flags = flags.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(flags));
    explanations = explanations.isEmpty() ? Map.of() : Collections.unmodifiableMap(new EnumMap<>(explanations));
    modesReference = List.copyOf(modesReference);
    modesNow = List.copyOf(modesNow);
    lost = List.copyOf(lost);
    gained = List.copyOf(gained);
  }

  /** Whether any flag was raised. */
  public boolean flagged() {
    return !flags.isEmpty();
  }

  /** Whether {@code --fail-on-shift} stops on this channel. */
  public boolean failsGate() {
    return flags.stream().anyMatch(ShiftFlag::failsGate);
  }
}
