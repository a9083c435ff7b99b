package io.sparknorm.report;

import java.util.List;

/**
 * What the HTML report shows: the run's summary and one {@link ChannelReport} per channel. Text fields may be null
 * (shown as a dash): {@code shape} as the job prints it, e.g. "(1, 8, 8)"; {@code column} the input column(s);
 * {@code input} and {@code output} paths; {@code statsFile} the statistics file whose numbers the page repeats;
 * {@code algorithm} the statistics algorithm ("exact-sums"); {@code generatedAt} a timestamp (ISO-8601).
 */
public record Report(String method, String shape, String column, String input, String output, String statsFile,
    long rowsIn, long rowsOut, long rowsSkipped, long invalidKept, double seconds, String algorithm, double eps,
    String generatedAt, List<ChannelReport> channels) {
  public Report {
    channels = channels == null ? List.of() : List.copyOf(channels);
  }

  /** How many channels have at least one flag. */
  public long flaggedChannels() {
    return channels.stream().filter(c -> !c.flags().isEmpty()).count();
  }
}
