package io.sparknorm.runner;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a JVM's unified GC log ({@code -Xlog:gc:file=PATH}): lines such as
 * {@code [1.234s][info][gc] GC(3) Pause Young (Normal) (G1 Evacuation Pause) 120M->45M(256M) 3.4ms}. The heap after a
 * collection is what was still alive then: its largest value over the run is the JVM's peak live heap, which unlike
 * the heap in use between collections does not depend on when the collector happened to run.
 */
final class GcLog {

  private static final Pattern PAUSE = Pattern.compile("GC\\(\\d+\\) Pause .* (\\d+)M->(\\d+)M\\((\\d+)M\\)");

  private GcLog() {
  }

  /** The largest heap after a collection, in MiB; fails when the log holds no collection. */
  static double peakAfterCollection(Path log) {
    return pauses(log).stream().mapToDouble(m -> Double.parseDouble(m.group(2))).max()
        .orElseThrow(() -> new AssertionError("no collection in the GC log " + log + ": " + read(log)));
  }

  static int collections(Path log) {
    return pauses(log).size();
  }

  private static List<Matcher> pauses(Path log) {
    return read(log).lines().map(PAUSE::matcher).filter(Matcher::find).toList();
  }

  private static String read(Path log) {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      throw new UncheckedIOException("no GC log at " + log, e);
    }
  }
}
