package io.sparknorm.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * One in-process run of the job ({@link NormalizeJob#run}, as {@code NormalizeJobTest} runs it) and
 * the contract's checks of its outcome: a failure is exit 1, exactly one {@code error:} line, no
 * summary line and nothing left in the folder that holds the output and the statistics file; a
 * success is exit 0 and one summary line with the given counts.
 */
record JobRun(int exit, String out, String err) {

  /** Runs the job with these arguments; an option followed by null is left out with it. */
  static JobRun of(String... args) {
    List<String> given = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (i + 1 < args.length && args[i + 1] == null) {
        i++;
      } else {
        given.add(args[i]);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = NormalizeJob.run(given.toArray(new String[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new JobRun(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  List<String> errorLines() {
    return err.lines().filter(l -> l.startsWith("error:")).toList();
  }

  /** Everything in {@code folder}, hidden files included (a staging folder, a .crc file). */
  static List<String> listing(Path folder) throws IOException {
    try (Stream<Path> files = Files.walk(folder)) {
      return files.filter(p -> !p.equals(folder)).map(p -> folder.relativize(p).toString()).sorted().toList();
    }
  }

  /** Failed with exactly this error line, printed nothing on the out stream and left {@code results} empty. */
  void assertFailed(String errorLine, Path results) throws IOException {
    assertEquals(1, exit, err);
    assertEquals(List.of(errorLine), errorLines());
    assertNothingWritten(results);
  }

  /**
   * Failed with one error line that starts with {@code prefix} and contains each of {@code parts}
   * (for a part worded by Spark, Parquet or Jackson, not by the job).
   */
  void assertFailedWith(String prefix, Path results, String... parts) throws IOException {
    assertEquals(1, exit, err);
    List<String> lines = errorLines();
    assertEquals(1, lines.size(), err);
    assertTrue(lines.get(0).startsWith(prefix), lines.get(0));
    for (String part : parts) {
      assertTrue(lines.get(0).contains(part), () -> "'" + part + "' not in: " + lines.get(0));
    }
    assertNothingWritten(results);
  }

  private void assertNothingWritten(Path results) throws IOException {
    assertEquals("", out, "no summary line on a failure");
    assertEquals(List.of(), listing(results), "nothing left beside the output");
  }

  /** Succeeded, with one summary line holding these counts. */
  void assertSucceeded(String method, long rowsIn, long rowsOut, long skipped, long kept) {
    assertEquals(0, exit, err);
    assertEquals(List.of(), errorLines());
    List<String> lines = out.lines().toList();
    assertEquals(1, lines.size(), out);
    String counts = String.format(Locale.ROOT,
        "sparknorm: method=%s rows_in=%d rows_out=%d rows_skipped=%d invalid_kept=%d ", method, rowsIn, rowsOut,
        skipped, kept);
    assertTrue(lines.get(0).startsWith(counts), () -> "expected " + counts + "..., got " + lines.get(0));
  }
}
