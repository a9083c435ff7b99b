package io.sparknorm.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The benchmark jobs' command lines, refused before any Spark session starts. */
class SubmitJobTest {

  /** The exit status of {@code SubmitJob.run(job, args)} and the lines it wrote to standard error. */
  private record Run(int status, List<String> errors) {}

  private static Run run(String job, String... args) {
    PrintStream before = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try (PrintStream capture = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      System.setErr(capture);
      int status = SubmitJob.run(job, "test", args);
      return new Run(status, err.toString(StandardCharsets.UTF_8).lines().toList());
    } finally {
      System.setErr(before);
    }
  }

  @Test
  void identityRefusesAnOutputFormatItDoesNotWrite() {
    Run run = run("identity", "--input", "in", "--output", "out", "--output-format", "csv");

    assertEquals(2, run.status());
    assertEquals(List.of("error: identity: --output-format must be one of parquet, delta, got 'csv'"), run.errors());
  }

  @Test
  void onlyTheIdentityJobHasAnOutputFormat() {
    Run run = run("scaler", "--input", "in", "--output", "out", "--output-format", "delta");

    assertEquals(2, run.status());
    assertEquals("Unknown options: '--output-format', 'delta'", run.errors().get(0));
  }
}
