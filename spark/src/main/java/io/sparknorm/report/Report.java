package io.sparknorm.report;

import java.util.List;

/**
 * What the HTML report shows: the run's summary and one {@link ChannelReport} per channel. Text fields may be null
 * (shown as a dash): {@code shape} as the job prints it, e.g. "(1, 8, 8)"; {@code column} the input column(s);
 * {@code input} and {@code output} paths; {@code statsFile} the statistics file whose numbers the page repeats;
 * {@code algorithm} the statistics algorithm ("exact-sums"); {@code generatedAt} a timestamp (ISO-8601).
 * {@code dims}, the sample's dimensions (null: unknown), decide whether the page lays the channels out as pictures:
 * one dimension C, a perfect square of at least 16, makes the channels the pixels of a square picture; (C, H, W)
 * with {@code elements} given draws each channel's per-element mean and std pictures.
 */
public record Report(String method, String shape, String column, String input, String output, String statsFile,
    long rowsIn, long rowsOut, long rowsSkipped, long invalidKept, double seconds, String algorithm, double eps,
    String generatedAt, List<ChannelReport> channels, List<Integer> dims, ElementImages elements) {
  public Report {
    channels = channels == null ? List.of() : List.copyOf(channels);
    dims = dims == null ? null : List.copyOf(dims);
  }

  /** A report without dimensions (no pictures). */
  public Report(String method, String shape, String column, String input, String output, String statsFile,
      long rowsIn, long rowsOut, long rowsSkipped, long invalidKept, double seconds, String algorithm, double eps,
      String generatedAt, List<ChannelReport> channels) {
    this(method, shape, column, input, output, statsFile, rowsIn, rowsOut, rowsSkipped, invalidKept, seconds,
        algorithm, eps, generatedAt, channels, null, null);
  }

  /** How many channels have at least one flag. */
  public long flaggedChannels() {
    return channels.stream().filter(c -> !c.flags().isEmpty()).count();
  }

  /** Whether the channels were compared with a reference profile. */
  public boolean hasShift() {
    return channels.stream().anyMatch(c -> c.shift() != null);
  }

  /** How many channels have at least one shift flag. */
  public long shiftedChannels() {
    return channels.stream().filter(ChannelReport::shifted).count();
  }
}
