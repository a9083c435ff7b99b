package io.sparknorm.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The job's results must go to paths apart: {@code --output}, {@code --stats-out} and {@code --report} each
 * moved into place as a whole, so none may be another, nor lie inside another. Refused before any data is read, with
 * one error line naming both options; nothing is written.
 */
class ResultPathsTest extends JobTestSupport {
  private String input;

  @BeforeEach
  void writeInput() throws IOException {
    Path path = dir.resolve("input.jsonl");
    Files.write(path, List.of("{\"features\": [1.0, 2.0]}", "{\"features\": [3.0, 5.0]}"));
    input = path.toString();
  }

  private JobRun batch(String... options) {
    List<String> args = new java.util.ArrayList<>(List.of("--input", input, "--method", "batch"));
    args.addAll(List.of(options));
    return JobRun.of(args.toArray(new String[0]));
  }

  private String qualified(String name) {
    return "file:" + results.resolve(name);
  }

  @Test
  void statsOutAtTheOutputIsRefused() throws IOException {
    String out = results.resolve("o").toString();
    batch("--output", out, "--stats-out", out).assertFailed("error: --stats-out and --output are the same path ("
        + qualified("o") + ")", results);
  }

  @Test
  void statsOutAtTheOutputWrittenAnotherWayIsRefused() throws IOException {
    batch("--output", results + "/./o", "--stats-out", results + "/x/../o/").assertFailed("error: --stats-out and"
        + " --output are the same path (" + qualified("o") + ")", results);
  }

  @Test
  void statsOutInsideTheOutputIsRefused() throws IOException {
    batch("--output", results.resolve("o").toString(), "--stats-out", results.resolve("o/stats.json").toString())
        .assertFailed("error: --stats-out " + qualified("o/stats.json") + " is inside --output " + qualified("o")
            + ", which the job moves into place as a whole: give a path outside it", results);
  }

  @Test
  void reportAtTheOutputIsRefused() throws IOException {
    String out = results.resolve("o").toString();
    batch("--output", out, "--report", out).assertFailed("error: --report and --output are the same path ("
        + qualified("o") + ")", results);
  }

  @Test
  void reportAtTheStatsOutIsRefused() throws IOException {
    String stats = results.resolve("s.json").toString();
    batch("--output", results.resolve("o").toString(), "--stats-out", stats, "--report", stats).assertFailed(
        "error: --report and --stats-out are the same path (" + qualified("s.json") + ")", results);
  }

  @Test
  void statsOnlyWithTheReportAtTheStatsOutIsRefused() throws IOException {
    String stats = results.resolve("s.json").toString();
    batch("--stats-only", "--stats-out", stats, "--report", stats).assertFailed(
        "error: --report and --stats-out are the same path (" + qualified("s.json") + ")", results);
  }
}
