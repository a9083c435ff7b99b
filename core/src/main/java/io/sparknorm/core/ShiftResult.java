package io.sparknorm.core;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** Every channel of one population compared with its reference, and the summary of them. */
public record ShiftResult(List<ChannelShift> channels) {
  public ShiftResult {
    channels = List.copyOf(channels);
  }

  /** Channels with at least one flag. */
  public int flagged() {
    return (int) channels.stream().filter(ChannelShift::flagged).count();
  }

  /** Per flag, the channels that have it (every flag present, 0 when none). */
  public Map<ShiftFlag, Integer> flagCounts() {
    Map<ShiftFlag, Integer> counts = new EnumMap<>(ShiftFlag.class);
    for (ShiftFlag f : ShiftFlag.values()) {
      counts.put(f, 0);
    }
    for (ChannelShift c : channels) {
      for (ShiftFlag f : c.flags()) {
        counts.merge(f, 1, Integer::sum);
      }
    }
    return counts;
  }

  /** The flagged channel of the highest severity (the first of equals), or null when none is flagged. */
  public ChannelShift worst() {
    ChannelShift worst = null;
    for (ChannelShift c : channels) {
      if (c.flagged() && (worst == null || c.severity() > worst.severity())) {
        worst = c;
      }
    }
    return worst;
  }

  /** Whether {@code --fail-on-shift} stops: a channel SHIFTED or MODE_LOST. */
  public boolean failsGate() {
    return channels.stream().anyMatch(ChannelShift::failsGate);
  }
}
