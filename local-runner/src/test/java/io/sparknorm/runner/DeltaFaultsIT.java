package io.sparknorm.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparknorm.testing.ChildProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A Delta table's versions through {@code spark-submit}, and what faults leave of them: {@code --overwrite} makes a
 * new version and the old one stays readable by time travel; a job that fails on a bad row commits nothing; of two jobs
 * overwriting one table at once, Delta's conflict check lets one commit, the other exits 1 with one {@code error:}
 * line, and the history gains exactly one version, holding the winner's whole result. Heavy (several jobs in a row,
 * two on a large input, perhaps more than once): run by {@code .ci/run}, not by the README's verify.
 *
 * <p>The jobs start together on an input that takes each several seconds to write, so that both read version 0
 * before either commits. Should they not overlap after all (both commit, one after the other: versions 1 and 2), the
 * race is run again on a fresh table, a bounded number of times: the test never passes without a conflict.
 */
@ExtendWith(SubmitSuite.class)
@Timeout(value = 12, unit = TimeUnit.MINUTES)
class DeltaFaultsIT {
  private static final int ROWS = RaceInput.ROWS;
  private static final int SIZE = RaceInput.SIZE;
  private static final int ATTEMPTS = 3;

  /** Set by {@link SubmitSuite}; replaced by a session that reads and writes Delta. */
  private static SparkSession spark;
  private static WorkDir work;
  private static JobSubmitter submit;
  private static SubmitSuite.Report report;

  private static final int DIGITS = 1797;

  private static Path input;
  private static Path digits;
  private static List<String> deltaConf;

  @BeforeAll
  static void writeInput() {
    TestSpark.stop(spark);
    spark = TestSpark.startWithDelta("DeltaFaultsIT inputs");
    deltaConf = DeltaIT.sparkConf(ReadmeCommand.find("--output-format delta"));
    digits = ReadmeCommand.root().resolve("data/digits.jsonl");
    input = work.newDir("input").resolve("data.parquet");
    RaceInput.write(spark, input);
  }

  @Test
  void anOverwriteMakesVersionOneAndAFailedJobCommitsNothing() throws IOException {
    Path dir = work.newDir("versions");
    DeltaFolder table = new DeltaFolder(dir.resolve("table"));
    Path stats = table.path().resolve("_sparknorm").resolve("stats.json");

    // Version 0: batch norm, its statistics file inside the table's folder.
    assertCounts(delta("batch norm, statistics inside the table", "--input", digits.toString(), "--output",
        table.path().toString(), "--output-format", "delta", "--method", "batch", "--shape", "64", "--stats-out",
        stats.toString()), DIGITS, DIGITS);
    assertEquals(List.of(0L), table.versions());
    assertTrue(Files.isRegularFile(stats), "the statistics file: " + WorkDir.list(table.path()));
    assertEquals(DIGITS, TestSpark.readJson(stats).get("count").asLong(), "values per channel");
    List<Row> version0 = DeltaFolder.sorted(table.frame(spark));
    assertEquals(DIGITS, version0.size());
    assertEquals(DIGITS, table.frame(spark).select("id").distinct().count());
    JsonNode how = table.userMetadata(spark, 0);
    assertEquals("batch", how.get("method").asText(), how::toString);
    assertEquals("[64]", how.get("shape").toString());
    assertEquals(1e-5, how.get("eps").asDouble());
    assertTrue(how.get("groups").isNull(), how::toString);
    assertEquals(stats.toString(), how.get("stats_out").asText());

    // Version 1: layer norm over it; version 0 stays readable with its rows.
    assertCounts(delta("--overwrite with layer norm", "--input", digits.toString(), "--output",
        table.path().toString(), "--output-format", "delta", "--overwrite", "--method", "layer", "--shape", "64"),
        DIGITS, DIGITS);
    assertEquals(List.of(0L, 1L), table.versions());
    assertEquals("layer", table.userMetadata(spark, 1).get("method").asText());
    Dataset<Row> version1 = table.frame(spark);
    assertEquals(DIGITS, version1.count());
    assertNotEquals(version0, DeltaFolder.sorted(version1), "version 1 holds the layer norm");
    DeltaFolder.assertSameRows(spark.createDataFrame(version0, version1.schema()), table.frame(spark, 0));
    List<Row> before = DeltaFolder.sorted(version1);

    // A bad row: the job fails while it writes, and nothing is committed.
    Path bad = dir.resolve("bad.jsonl");
    List<String> lines = new ArrayList<>(Files.readAllLines(digits, StandardCharsets.UTF_8));
    lines.set(1000, "{\"id\": 1000, \"label\": 0, \"features\": [1, 2, 3]}");
    Files.write(bad, lines, StandardCharsets.UTF_8);
    String error = DeltaIT.oneError(delta("--overwrite from a bad row", "--input", bad.toString(), "--output",
        table.path().toString(), "--output-format", "delta", "--overwrite", "--method", "layer", "--shape", "64"));
    assertTrue(error.contains("column 'features', row 1000") && error.contains("length 3"), error);
    assertEquals(List.of(0L, 1L), table.versions());
    DeltaFolder.assertSameRows(spark.createDataFrame(before, version1.schema()), table.frame(spark));
    assertTrue(Files.isRegularFile(stats), "the statistics file stays");
  }

  /** A job started in its own process, not waited for; its output in LOG and LOG.err. */
  private static ChildProcess startJob(Path table, String eps, Path log) {
    List<String> args = new ArrayList<>(List.of("--master", "local[2]", "--conf", "spark.ui.enabled=false",
        "--driver-memory", "1g"));
    for (String conf : deltaConf) {
      args.add("--conf");
      args.add(conf);
    }
    args.addAll(List.of(JobSubmitter.jobJar().toString(), "--input", input.toString(), "--output", table.toString(),
        "--output-format", "delta", "--overwrite", "--method", "layer", "--shape", String.valueOf(SIZE), "--eps",
        eps));
    return new SparkSubmitProcess().launch(args).output(log, Path.of(log + ".err")).start();
  }

  private static ChildProcess.Result delta(String label, String... jobArgs) {
    return submit.run(label, deltaConf, List.of(jobArgs));
  }

  private static void assertCounts(ChildProcess.Result result, int in, int out) {
    assertEquals(0, result.exitCode(), result::describe);
    assertTrue(result.stdout().contains(" rows_in=" + in + " rows_out=" + out + " "), result::describe);
  }

  @Test
  void twoJobsOverwritingOneTableCommitOnce() throws IOException {
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      Path dir = work.newDir("race-" + attempt);
      DeltaFolder table = new DeltaFolder(dir.resolve("table"));
      // Version 0, written here: its rows are the input's.
      spark.read().parquet(input.toString()).write().format("delta").save(table.path().toString());
      assertEquals(List.of(0L), table.versions());

      ChildProcess a = startJob(table.path(), "1e-5", dir.resolve("a.log"));
      ChildProcess b = startJob(table.path(), "0.5", dir.resolve("b.log"));
      try {
        assertTrue(a.waitFor(Duration.ofMinutes(4)) && b.waitFor(Duration.ofMinutes(4)), "the jobs did not end");
      } finally {
        a.kill();
        b.kill();
      }
      report.add("attempt %d: exits %d and %d in %.1f s and %.1f s; versions %s", attempt, a.exitCode(),
          b.exitCode(), a.seconds(), b.seconds(), table.versions());
      if (a.exitCode() == 0 && b.exitCode() == 0) {
        // No overlap: each committed on top of the other. Not a pass; race again.
        assertEquals(List.of(0L, 1L, 2L), table.versions(), "two commits one after the other");
        continue;
      }
      assertTrue(a.exitCode() == 0 || b.exitCode() == 0, "one job must win: " + a.tail() + "\n" + b.tail());
      boolean aWon = a.exitCode() == 0;
      assertEquals(1, aWon ? b.exitCode() : a.exitCode(), "the loser's exit");
      String err = Files.readString(dir.resolve((aWon ? "b" : "a") + ".log.err"));
      List<String> errors = err.lines().filter(l -> l.startsWith("error:")).toList();
      assertEquals(1, errors.size(), "one error line: " + err);
      report.add("the loser said: %s", errors.get(0));
      assertTrue(errors.get(0).startsWith("error: output " + table.path() + ": another job committed to this Delta"
          + " table while this job ran ("), errors.get(0));
      assertTrue(errors.get(0).endsWith("); nothing of this run was committed"), errors.get(0));

      // Exactly one new version, the winner's: its eps in every value, every row once.
      assertEquals(List.of(0L, 1L), table.versions());
      assertEquals(2, table.history(spark).size());
      double eps = aWon ? 1e-5 : 0.5;
      assertEquals(eps, table.userMetadata(spark, 1).get("eps").asDouble());
      Row counts = table.frame(spark).selectExpr("count(*)", "count(DISTINCT id)").first();
      assertEquals(ROWS, counts.getLong(0));
      assertEquals(ROWS, counts.getLong(1));
      RaceInput.assertLayerNorm(table.frame(spark).where("id IN (1, 12345, 399999)").collectAsList(), eps);
      assertEquals(ROWS, table.frame(spark, 0).count(), "version 0 as it was");
      return;
    }
    fail("the two jobs never overlapped in " + ATTEMPTS + " attempts: no conflict to check");
  }
}
