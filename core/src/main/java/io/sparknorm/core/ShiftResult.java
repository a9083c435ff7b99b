package io.sparknorm.core;

import java.util.List;
import java.util.Map;

/** Every channel of one population compared with its reference, and the summary of them. */
public record ShiftResult(List<ChannelShift> channels) {
  public ShiftResult {
    channels = List.copyOf(channels);
  }

  /** Channels with at least one flag. */
  public int flagged() {
    throw new UnsupportedOperationException("TODO");
  }

  /** Per flag, the channels that have it (every flag present, 0 when none). */
  public Map<ShiftFlag, Integer> flagCounts() {
    throw new UnsupportedOperationException("TODO");
  }

  /** The flagged channel of the highest severity, or null when none is flagged. */
  public ChannelShift worst() {
    throw new UnsupportedOperationException("TODO");
  }

  /** Whether {@code --fail-on-shift} stops: a channel SHIFTED or MODE_LOST. */
  public boolean failsGate() {
    throw new UnsupportedOperationException("TODO");
  }
}
