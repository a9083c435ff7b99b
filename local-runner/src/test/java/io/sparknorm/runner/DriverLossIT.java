package io.sparknorm.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.testing.ChildProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The driver lost mid-write, and two jobs racing for one output: nothing at the output path but one job's whole
 * result, ever. The job stages its result under a hidden unique name beside the output and moves it into place with
 * one rename that never merges into an existing path (see the README's "Reliability").
 */
@ExtendWith(SubmitSuite.class)
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class DriverLossIT {
  private static final int ROWS = RaceInput.ROWS;
  private static final int SIZE = RaceInput.SIZE;

  /** Set by {@link SubmitSuite}. */
  private static SparkSession spark;
  private static WorkDir work;
  private static JobSubmitter submit;
  private static Path input;

  @BeforeAll
  static void writeInput() {
    input = work.newDir("input").resolve("data.parquet");
    RaceInput.write(spark, input);
  }

  /** A job started in its own process, not waited for; its output in LOG and LOG.err. */
  private static ChildProcess startJob(Path output, String eps, Path log) {
    return new SparkSubmitProcess().launch(List.of("--master", "local[2]", "--conf", "spark.ui.enabled=false",
        "--driver-memory", "1g", JobSubmitter.jobJar().toString(), "--input", input.toString(), "--output",
        output.toString(), "--method", "layer", "--shape", String.valueOf(SIZE), "--eps", eps))
        .output(log, Path.of(log + ".err")).start();
  }

  private static List<String> hiddenStaging(Path parent, String name) throws IOException {
    try (Stream<Path> entries = Files.list(parent)) {
      return entries.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("." + name + ".sparknorm-"))
          .toList();
    }
  }

  @Test
  void aDriverKilledMidWriteLeavesNothingAtTheOutputAndTheRerunSucceeds() throws Exception {
    Path dir = work.newDir("killed");
    Path output = dir.resolve("out");
    ChildProcess job = startJob(output, "1e-5", dir.resolve("killed.log"));
    try {
      // The write has begun when the staging folder holds Spark's _temporary folder.
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
      boolean writing = false;
      while (!writing && job.isAlive() && System.nanoTime() < deadline) {
        for (String staging : hiddenStaging(dir, "out")) {
          writing |= Files.isDirectory(dir.resolve(staging).resolve("_temporary"));
        }
        job.waitFor(Duration.ofMillis(20));
      }
      assertTrue(writing, "the job never started writing (alive: " + job.isAlive() + ")");
      assertTrue(job.isAlive(), "the job ended before it could be killed mid-write");
      assertTrue(job.handle().info().command().orElse("").endsWith("java"),
          "local-runner/spark-submit execs the driver JVM: pid " + job.pid() + " is " + job.handle().info());
      job.kill(); // SIGKILL: no shutdown hook runs, as when a machine dies
      assertTrue(job.waitFor(Duration.ofSeconds(60)));
    } finally {
      job.kill();
    }
    assertEquals(137, job.exitCode(), "killed by SIGKILL");
    assertFalse(Files.exists(output), "a killed job left something at the output path");
    List<String> left = hiddenStaging(dir, "out");
    assertEquals(1, left.size(), "one hidden staging folder at most: " + WorkDir.list(dir));

    ChildProcess.Result rerun = submit.run("rerun after a killed driver", List.of("--input", input.toString(),
        "--output", output.toString(), "--method", "layer", "--shape", String.valueOf(SIZE)));
    assertEquals(0, rerun.exitCode(), rerun::describe);
    assertTrue(rerun.stdout().contains("rows_in=" + ROWS + " rows_out=" + ROWS + " "), rerun.stdout());
    Row counts = spark.read().parquet(output.toString()).selectExpr("count(*)", "count(DISTINCT id)").first();
    assertEquals(ROWS, counts.getLong(0));
    assertEquals(ROWS, counts.getLong(1));
    assertEquals(left, hiddenStaging(dir, "out"), "the rerun ignores the dead run's staging folder");
  }

  @Test
  void twoJobsRacingForOneOutputLeaveOneWholeResult() throws Exception {
    Path dir = work.newDir("race");
    Path output = dir.resolve("out");
    ChildProcess a = startJob(output, "1e-5", dir.resolve("a.log"));
    ChildProcess b = startJob(output, "0.5", dir.resolve("b.log"));
    try {
      assertTrue(a.waitFor(Duration.ofMinutes(4)) && b.waitFor(Duration.ofMinutes(4)), "the jobs did not end");
    } finally {
      a.kill();
      b.kill();
    }
    assertNotEquals(a.exitCode(), b.exitCode(), "exactly one job must win: exits " + a.exitCode() + " and "
        + b.exitCode());
    boolean aWon = a.exitCode() == 0;
    Path loserErr = dir.resolve((aWon ? "b" : "a") + ".log.err");
    assertEquals(1, aWon ? b.exitCode() : a.exitCode());
    List<String> errors = Files.readAllLines(loserErr).stream().filter(l -> l.startsWith("error: ")).toList();
    assertEquals(1, errors.size(), "one error line: " + Files.readString(loserErr));
    System.out.println("[DriverLossIT] the race: job " + (aWon ? "a" : "b") + " won; the other said: " + errors.get(0));
    assertTrue(errors.get(0).startsWith("error: output " + output), errors.get(0));
    assertTrue(errors.get(0).contains("already exists") || errors.get(0).contains("was created by"), errors.get(0));

    // One job's whole result: every row once, no folder moved inside another, the winner's eps in every value.
    try (Stream<Path> entries = Files.list(output)) {
      assertTrue(entries.noneMatch(Files::isDirectory), "a result was moved inside the other: " + WorkDir.list(output));
    }
    Row counts = spark.read().parquet(output.toString()).selectExpr("count(*)", "count(DISTINCT id)").first();
    assertEquals(ROWS, counts.getLong(0));
    assertEquals(ROWS, counts.getLong(1));
    double eps = aWon ? 1e-5 : 0.5;
    RaceInput.assertLayerNorm(
        spark.read().parquet(output.toString()).where("id IN (1, 12345, 399999)").collectAsList(), eps);
  }
}
