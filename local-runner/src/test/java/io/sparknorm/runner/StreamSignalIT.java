package io.sparknorm.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.testing.ChildProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A stream that runs until stopped ({@code --trigger processing-time:1s}), submitted through spark-submit in its own
 * process and sent SIGTERM: it stops after its current micro-batch, prints the summary and exits 0, and the output
 * holds every row of the committed micro-batches once: the micro-batch under way when the signal came among them.
 */
@ExtendWith(SubmitSuite.class)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class StreamSignalIT {
  private static final Pattern SUMMARY = Pattern.compile(
      "sparknorm: method=layer rows_in=(\\d+) rows_out=(\\d+) rows_skipped=0 invalid_kept=0 .* batches=(\\d+)");

  /** Set by {@link SubmitSuite}. */
  private static SparkSession spark;
  private static WorkDir work;

  /** Rows with ids from {@code firstId} as one Parquet file moved into {@code folder}, as a file arrives. */
  private static void addFile(Path folder, String name, int firstId, int rows) throws IOException {
    Path staging = work.newDir("staging-" + name);
    spark.range(firstId, firstId + rows).selectExpr("id", "array(id * 1.0, id % 7 * 1.0, 3.5, id % 3 * 1.0) AS features")
        .coalesce(1).write().mode("overwrite").parquet(staging.toString());
    try (Stream<Path> files = Files.list(staging)) {
      Path part = files.filter(p -> p.getFileName().toString().startsWith("part-")).findFirst().orElseThrow();
      Files.createDirectories(folder);
      Files.move(part, folder.resolve("." + name));
      Files.move(folder.resolve("." + name), folder.resolve(name));
    }
  }

  private static boolean waitForLine(Path log, String start, ChildProcess job, long seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline && job.isAlive()) {
      if (Files.exists(log) && Files.readAllLines(log).stream().anyMatch(l -> l.startsWith(start))) {
        return true;
      }
      job.waitFor(Duration.ofMillis(100));
    }
    return false;
  }

  @Test
  void sigtermStopsTheStreamAfterItsMicroBatchWithTheSummaryAndEveryCommittedRowOnce() throws Exception {
    Path dir = work.newDir("stream");
    Path in = dir.resolve("in");
    Path out = dir.resolve("out");
    addFile(in, "a.parquet", 0, 100);
    Path log = dir.resolve("job.log");
    Path errLog = dir.resolve("job.log.err");
    ChildProcess job = new SparkSubmitProcess().launch(List.of("--master", "local[2]", "--conf",
        "spark.ui.enabled=false", "--driver-memory", "1g", JobSubmitter.jobJar().toString(), "--stream", "--input",
        in.toString(), "--output", out.toString(), "--checkpoint", dir.resolve("cp").toString(), "--method", "layer",
        "--trigger", "processing-time:1s")).output(log, errLog).start();
    ChildProcess.Stop stop;
    try {
      assertTrue(waitForLine(errLog, "sparknorm: batch 0 ", job, 90), "no first micro-batch: " + job.tail());
      addFile(in, "b.parquet", 100, 50);
      // Micro-batch 1 has begun once Spark wrote its offsets: SIGTERM now must let it finish, not abort it.
      Path planned = dir.resolve("cp").resolve("offsets").resolve("1");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!Files.exists(planned) && job.isAlive() && System.nanoTime() < deadline) {
        job.waitFor(Duration.ofMillis(10));
      }
      assertTrue(Files.exists(planned), "micro-batch 1 never began: " + job.tail());
      stop = job.stop(Duration.ofSeconds(60));
    } finally {
      job.kill();
    }
    assertTrue(stop.gone(), stop.report());
    assertEquals(0, job.exitCode(), stop.report() + "\n" + Files.readString(errLog));
    List<String> summary = Files.readAllLines(log).stream().filter(l -> l.startsWith("sparknorm: method=")).toList();
    assertEquals(1, summary.size(), Files.readString(log));
    Matcher m = SUMMARY.matcher(summary.get(0));
    assertTrue(m.find(), summary.get(0));
    long rowsOut = Long.parseLong(m.group(2));
    assertEquals(150, rowsOut, "both files: the micro-batch under way at SIGTERM finished");
    assertEquals("2", m.group(3), "micro-batches");
    Row counts = spark.read().parquet(out.toString()).selectExpr("count(*)", "count(DISTINCT id)").first();
    assertEquals(rowsOut, counts.getLong(0), "every row of the committed micro-batches");
    assertEquals(rowsOut, counts.getLong(1), "each once");
    System.out.println("[StreamSignalIT] " + stop.report() + "; " + summary.get(0));
  }
}
