package io.sparknorm.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.sparknorm.testing.ChildProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two jobs overwriting one Delta table at once: Delta's conflict check lets one commit, the other exits 1 with one
 * {@code error:} line and commits nothing, and the table's history gains exactly one version, holding the winner's
 * whole result. Heavy (two jobs on a large input, perhaps more than once): run by {@code .ci/run}, not by the README's
 * verify.
 *
 * <p>The jobs start together on an input that takes each several seconds to write, so that both read version 0
 * before either commits. Should they not overlap after all (both commit, one after the other: versions 1 and 2), the
 * race is run again on a fresh table, a bounded number of times: the test never passes without a conflict.
 */
@ExtendWith(SubmitSuite.class)
@Timeout(value = 12, unit = TimeUnit.MINUTES)
class DeltaRaceIT {
  private static final int ROWS = 400_000;
  private static final int SIZE = 16;
  private static final int ATTEMPTS = 3;

  /** Set by {@link SubmitSuite}; replaced by a session that reads and writes Delta. */
  private static SparkSession spark;
  private static WorkDir work;
  private static SubmitSuite.Report report;

  private static Path input;
  private static List<String> deltaConf;

  @BeforeAll
  static void writeInput() {
    TestSpark.stop(spark);
    spark = TestSpark.startWithDelta("DeltaRaceIT inputs");
    deltaConf = DeltaIT.sparkConf(ReadmeCommand.find("--output-format delta"));
    input = work.newDir("input").resolve("data.parquet");
    StringBuilder features = new StringBuilder("array(");
    for (int i = 0; i < SIZE; i++) {
      features.append(i == 0 ? "" : ", ").append("cast(id % ").append(97 + i).append(" AS DOUBLE) * ").append(i + 1);
    }
    spark.range(ROWS).selectExpr("id", features + ") AS features").repartition(8).write()
        .parquet(input.toString());
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
      for (Row row : table.frame(spark).where("id IN (1, 12345, 399999)").collectAsList()) {
        long id = row.getLong(row.fieldIndex("id"));
        List<Double> got = row.getList(row.fieldIndex("features"));
        double[] x = new double[SIZE];
        double mean = 0;
        for (int i = 0; i < SIZE; i++) {
          x[i] = (double) (id % (97 + i)) * (i + 1);
          mean += x[i] / SIZE;
        }
        double var = 0;
        for (double v : x) {
          var += (v - mean) * (v - mean) / SIZE;
        }
        for (int i = 0; i < SIZE; i++) {
          assertEquals((x[i] - mean) / Math.sqrt(var + eps), got.get(i), 1e-9, "row " + id + " [" + i + "]");
        }
      }
      assertEquals(ROWS, table.frame(spark, 0).count(), "version 0 as it was");
      return;
    }
    fail("the two jobs never overlapped in " + ATTEMPTS + " attempts: no conflict to check");
  }
}
