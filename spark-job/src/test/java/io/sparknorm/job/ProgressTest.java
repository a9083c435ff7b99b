package io.sparknorm.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.spark.SparkTestSession;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The progress lines on standard error: their format, the stages in order with rows
 * that only grow, {@code --quiet}, a failing run's single error line, nothing left running
 * afterwards, and live counts of running tasks from the executors' heartbeats.
 */
class ProgressTest extends JobTestSupport {
  /** The line's grammar: what a script reading standard error may rely on. */
  static final Pattern LINE = Pattern.compile("sparknorm: progress stage=(schema|shape|statistics|normalize-and-write"
      + "|normalize|locate) rows=(\\d+) rows_per_s=(\\d+) stage_seconds=(\\d+\\.\\d) seconds=(\\d+\\.\\d)");

  private static final List<String> ORDER = List.of("schema", "shape", "statistics", "normalize-and-write", "locate");

  @TempDir
  static Path shared;

  /** Rows of the generated input: 8 files, so that each stage has tasks ending one after another. */
  private static final int ROWS = 250_000;
  private static final int VALUES = 16;

  /**
   * {@link SparkTestSession}'s session again, with heartbeats every half second (10 s by default) so
   * that running tasks report within the test.
   */
  @BeforeAll
  static void withFastHeartbeats() {
    spark.stop();
    spark = SparkTestSession.start(Map.of("spark.executor.heartbeatInterval", "500ms"));
  }

  /**
   * Lines every few milliseconds: every stage of these jobs, however fast the machine, lasts several intervals (a Spark
   * job alone takes longer to schedule).
   */
  private static final long INTERVAL_MS = 5;

  @BeforeEach
  void shortInterval() {
    System.setProperty(Progress.INTERVAL_PROPERTY, Long.toString(INTERVAL_MS));
  }

  @AfterEach
  void defaultInterval() {
    System.clearProperty(Progress.INTERVAL_PROPERTY);
  }

  @Test
  void lineFormat() {
    assertEquals("sparknorm: progress stage=statistics rows=1234567 rows_per_s=249912 stage_seconds=4.9 seconds=12.3",
        Progress.line("statistics", 1_234_567, 4.94, 12.34));
    assertEquals("sparknorm: progress stage=normalize-and-write rows=0 rows_per_s=0 stage_seconds=0.0 seconds=0.2",
        Progress.line("normalize-and-write", 0, 0, 0.2));
    Locale before = Locale.getDefault();
    Locale.setDefault(Locale.GERMANY);
    try {
      String line = Progress.line("shape", 12_000, 1.5, 1234.56);
      assertEquals("sparknorm: progress stage=shape rows=12000 rows_per_s=8000 stage_seconds=1.5 seconds=1234.6", line);
      assertTrue(LINE.matcher(line).matches(), line);
      assertFalse(line.startsWith("error:"));
    } finally {
      Locale.setDefault(before);
    }
  }

  @Test
  void batchNormReportsItsStagesInOrder() throws IOException {
    JobRun run = JobRun.of("--input", input().toString(), "--output", results.resolve("out").toString(),
        "--method", "batch");
    run.assertSucceeded("batch", ROWS, ROWS, 0, 0);
    List<Matcher> lines = progressLines(run.err());
    assertEquals(run.err().lines().count(), lines.size(), "standard error holds progress lines only:\n" + run.err());
    Map<String, List<Long>> rows = checkedStages(lines, ROWS, run.err());
    List<String> stages = new ArrayList<>(rows.keySet());
    assertTrue(stages.contains("statistics") && stages.contains("normalize-and-write"), run.err());
    assertTrue(stages.indexOf("statistics") < stages.indexOf("normalize-and-write"), run.err());
    assertTrue(rows.values().stream().flatMap(List::stream).anyMatch(r -> r > 0), "rows counted:\n" + run.err());
    assertNothingLeftRunning();
  }

  @Test
  void quietPrintsNoProgress() throws IOException {
    JobRun run = JobRun.of("--input", input().toString(), "--output", results.resolve("out").toString(),
        "--method", "layer", "--quiet");
    run.assertSucceeded("layer", ROWS, ROWS, 0, 0);
    assertEquals("", run.err());
    assertNothingLeftRunning();
  }

  /**
   * The first line comes one interval after the start, so a job shorter than the interval prints none. The interval
   * here is an hour, longer than any run of this job on any machine: what is tested is the rule, not this machine's
   * speed against the default 5 s.
   */
  @Test
  void aJobShorterThanTheIntervalPrintsNoProgress() throws IOException {
    long interval = TimeUnit.HOURS.toMillis(1);
    System.setProperty(Progress.INTERVAL_PROPERTY, Long.toString(interval));
    Path input = dir.resolve("small.jsonl");
    Files.write(input, List.of("{\"features\": [1.0, 2.0, 3.0]}", "{\"features\": [4.0, 5.0, 7.0]}"));
    long start = System.nanoTime();
    JobRun run = JobRun.of("--input", input.toString(), "--output", results.resolve("out").toString(),
        "--method", "layer");
    assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(interval), "the job took over an interval");
    run.assertSucceeded("layer", 2, 2, 0, 0);
    assertEquals("", run.err());
    assertNothingLeftRunning();
  }

  @Test
  void theIntervalIsFiveSecondsUnlessTheSystemPropertyGivesAnother() {
    System.clearProperty(Progress.INTERVAL_PROPERTY);
    assertEquals(5_000, Progress.interval());
    System.setProperty(Progress.INTERVAL_PROPERTY, " 250 ");
    assertEquals(250, Progress.interval());
    for (String junk : List.of("0", "-3", "5s", "")) {
      System.setProperty(Progress.INTERVAL_PROPERTY, junk);
      assertEquals(5_000, Progress.interval(), "'" + junk + "'");
    }
  }

  @Test
  void aFailingRunStillPrintsExactlyOneErrorLine() throws IOException {
    JobRun run = JobRun.of("--input", inputWithNaN().toString(), "--output", results.resolve("out").toString(),
        "--method", "batch");
    run.assertFailedWith("error: column 'features', row ", results, "value NaN at index 5 is not finite");
    List<Matcher> lines = progressLines(run.err());
    assertEquals(run.err().lines().count() - 1, lines.size(), "progress lines and the error line only:\n" + run.err());
    checkedStages(lines, ROWS + 1, run.err());
    assertNothingLeftRunning();
  }

  /**
   * A task that reads its rows slowly: its count shows before it ends, from the executor's
   * heartbeats (local mode sends them too).
   */
  @Test
  void heartbeatsCountTheRowsOfRunningTasks() throws Exception {
    Path input = dir.resolve("slow.jsonl");
    int rows = 2_000;
    List<String> text = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      text.add("{\"id\": " + i + "}");
    }
    Files.write(input, text);
    // One task (one small file) reads the rows and sleeps a millisecond after each.
    Dataset<Row> slow = spark.read().schema("id LONG").json(input.toString())
        .filter(functions.udf((UDF1<Long, Boolean>) id -> {
          Thread.sleep(1);
          return true;
        }, DataTypes.BooleanType).apply(functions.col("id")));
    AtomicLong seenWhileRunning = new AtomicLong();
    try (Progress progress = Progress.start(spark.sparkContext(), new PrintStream(new ByteArrayOutputStream(), true,
        StandardCharsets.UTF_8), System.nanoTime(), false)) {
      progress.stage(Progress.STATISTICS);
      Thread poller = new Thread(() -> {
        while (!Thread.currentThread().isInterrupted()) {
          long now = progress.rows(Progress.STATISTICS);
          if (now > 0 && now < rows) {
            seenWhileRunning.compareAndSet(0, now);
          }
          try {
            Thread.sleep(50);
          } catch (InterruptedException e) {
            return;
          }
        }
      });
      poller.start();
      slow.write().format("noop").mode("overwrite").save();
      poller.interrupt();
      poller.join();
      assertTrue(progress.heartbeatUpdates() > 0, "no heartbeat carried the running task's count");
      assertTrue(seenWhileRunning.get() > 0, "no count seen before the task ended");
      spark.sparkContext().listenerBus().waitUntilEmpty();
      assertEquals(rows, progress.rows(Progress.STATISTICS), "the file's rows, read once");
    }
    assertNothingLeftRunning();
  }

  /** ROWS rows of 16 doubles in 8 Parquet files, made once for the class. */
  private static synchronized Path input() {
    Path input = shared.resolve("input.parquet");
    if (!Files.exists(input)) {
      spark.range(0, ROWS, 1, 8).selectExpr("id", "transform(sequence(0, " + (VALUES - 1)
          + "), i -> cast((id * 7919 + i * 104729) % 10007 as double) / 101.0) as features")
          .write().parquet(input.toString());
    }
    return input;
  }

  /** The input's files and one more, whose one row has a NaN at index 5 (read last: the smallest file). */
  private static synchronized Path inputWithNaN() throws IOException {
    Path bad = shared.resolve("with-nan.parquet");
    if (!Files.exists(bad)) {
      Path valid = input();
      Files.createDirectories(bad);
      for (Path file : JobRun.listing(valid).stream().filter(f -> f.startsWith("part-")).map(valid::resolve).toList()) {
        Files.createLink(bad.resolve(file.getFileName()), file);
      }
      Path one = shared.resolve("nan-row.parquet");
      spark.range(ROWS, ROWS + 1, 1, 1).selectExpr("id", "transform(sequence(0, " + (VALUES - 1)
          + "), i -> if(i = 5, double('NaN'), 1.0)) as features").write().parquet(one.toString());
      for (String file : JobRun.listing(one).stream().filter(f -> f.startsWith("part-")).toList()) {
        Files.move(one.resolve(file), bad.resolve("part-99999-nan-" + file));
      }
    }
    return bad;
  }

  private static List<Matcher> progressLines(String err) {
    List<Matcher> lines = new ArrayList<>();
    err.lines().filter(l -> l.startsWith(Progress.PREFIX)).forEach(l -> {
      Matcher m = LINE.matcher(l);
      assertTrue(m.matches(), "not a progress line: " + l);
      lines.add(m);
    });
    return lines;
  }

  /**
   * Stages in the job's order, each seen in one run of lines; in each, rows that never decrease
   * and never pass the input's; the elapsed time never decreases. Returns the rows per stage.
   */
  private static Map<String, List<Long>> checkedStages(List<Matcher> lines, long inputRows, String err) {
    Map<String, List<Long>> rows = new LinkedHashMap<>();
    String current = null;
    double seconds = 0;
    for (Matcher m : lines) {
      String stage = m.group(1);
      if (!stage.equals(current)) {
        assertFalse(rows.containsKey(stage), "stage " + stage + " again after another:\n" + err);
        if (current != null) {
          assertTrue(ORDER.indexOf(current) < ORDER.indexOf(stage), current + " before " + stage + ":\n" + err);
        }
        current = stage;
        rows.put(stage, new ArrayList<>());
      }
      List<Long> seen = rows.get(stage);
      long now = Long.parseLong(m.group(2));
      assertTrue(seen.isEmpty() || seen.get(seen.size() - 1) <= now, "rows went down:\n" + err);
      assertTrue(now <= inputRows, "more rows than the input's:\n" + err);
      seen.add(now);
      double elapsed = Double.parseDouble(m.group(5));
      assertTrue(elapsed >= seconds, "time went back:\n" + err);
      seconds = elapsed;
    }
    return rows;
  }

  /** No progress listener on the context, no progress thread alive. */
  private static void assertNothingLeftRunning() {
    assertEquals(List.of(), spark.sparkContext().listenerBus().listeners().stream()
        .filter(l -> l.getClass().getName().startsWith(Progress.class.getName())).toList(), "progress listeners left");
    assertEquals(List.of(), Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals(Progress.THREAD_NAME) && t.isAlive()).toList(), "progress threads left");
  }
}
