package io.sparknorm.core;

import java.util.List;

/**
 * Compares data with a reference profile, channel by channel: the figures of {@link ChannelShift}
 * and the flags of {@link ShiftFlag}, at the thresholds of {@link ShiftThresholds}.
 */
public final class CovariateShift {
  private CovariateShift() {}

  /** One channel now against the same channel of the reference. */
  public static ChannelShift compare(ChannelProfile reference, ChannelProfile now) {
    throw new UnsupportedOperationException("TODO");
  }

  /** Every channel; the shapes must be equal (else IllegalArgumentException naming both). */
  public static ShiftResult compare(StatisticsProfile reference, StatisticsProfile now) {
    throw new UnsupportedOperationException("TODO");
  }

  /**
   * All rows and each key now against the reference's; a key the reference lacks is unseen. With a
   * reference without keys, {@code now}'s keys are compared... not: both must have the same {@code by}
   * or neither (IllegalArgumentException).
   */
  public static ShiftSet compare(ProfileSet reference, ProfileSet now) {
    throw new UnsupportedOperationException("TODO");
  }

  static List<Mode> none() {
    return List.of();
  }
}
