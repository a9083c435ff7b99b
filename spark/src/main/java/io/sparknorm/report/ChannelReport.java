package io.sparknorm.report;

import java.util.List;
import java.util.Objects;

/**
 * One channel of a report: its index in the shape, a label (e.g. "c12", "channel 3" or a column name), the number of
 * values, the statistics (population variance and std, as in the statistics file), the 1%, 50% and 99% quantiles,
 * histograms of the input and of the normalized output, flags (none when the list is empty), and, when the data was
 * compared with a reference profile, the comparison ({@code shift}, else null).
 */
public record ChannelReport(int index, String label, long count, double mean, double var, double std, double min,
    double max, double q01, double q50, double q99, ChannelHistogram input, ChannelHistogram output,
    List<Flag> flags, ChannelShiftReport shift) {
  public ChannelReport {
    label = label == null ? "c" + index : label;
    Objects.requireNonNull(input, "input histogram");
    Objects.requireNonNull(output, "output histogram");
    flags = flags == null ? List.of() : List.copyOf(flags);
  }

  /** A channel without a comparison. */
  public ChannelReport(int index, String label, long count, double mean, double var, double std, double min,
      double max, double q01, double q50, double q99, ChannelHistogram input, ChannelHistogram output,
      List<Flag> flags) {
    this(index, label, count, mean, var, std, min, max, q01, q50, q99, input, output, flags, null);
  }

  /** Whether the channel has a flag with this id. */
  public boolean has(String flagId) {
    return flags.stream().anyMatch(f -> f.id().equals(flagId));
  }

  /** Whether the channel has one of the shift flags ({@link Flag#shiftIds()}). */
  public boolean shifted() {
    return flags.stream().anyMatch(f -> Flag.shiftIds().contains(f.id()));
  }
}
