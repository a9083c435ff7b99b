package io.sparknorm.runner;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparknorm.testing.ChildProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The built job on YARN: a MiniYARNCluster (one ResourceManager, two NodeManagers on loopback, in its own JVM:
 * {@link YarnCluster}) and {@code local-runner/spark-submit --master yarn}, as a user submits it, with
 * {@code HADOOP_CONF_DIR} and {@code YARN_CONF_DIR} naming the cluster's configuration and Spark's jars taken from the
 * runtime's folder ({@code spark.yarn.jars=local:...}). Two executors of one core and 512m each.
 *
 * <p>The input: {@value #ROWS} rows of {@code id} and 16 doubles (16 channels of different means and spreads) in
 * {@value #FILES} Parquet files, generated from fixed seeds. Batch norm (with {@code --stats-out}) and group norm
 * (shape (4,4), 2 groups), in {@code --deploy-mode client} and {@code --deploy-mode cluster}, must give exit 0, the
 * ResourceManager's final status {@code SUCCEEDED}, exact counts on the summary line (in cluster mode read from the
 * driver container's {@code stdout} in the NodeManager's log folder), and every output value and statistic with the
 * same bits as {@code --master local[2]}. A cluster-mode job that fails must make spark-submit exit 1, the final status
 * {@code FAILED}, with exactly one {@code error:} line in the driver container's {@code stderr}.
 *
 * <p>A container lost: batch norm in client mode with progress lines every 200 ms; once a line says the statistics
 * pass has read rows, one executor JVM (a descendant of the cluster's JVM running
 * {@code YarnCoarseGrainedExecutorBackend} for this application) is killed with SIGKILL. The event log must show tasks
 * of the statistics stages lost with it ({@code ExecutorLostFailure}), and the job must still succeed with the
 * undisturbed bits and counts.
 *
 * <p>Processes: the cluster's JVM is stopped by pid in {@link #stop()} (SIGTERM, then SIGKILL to whatever is left
 * of it and its containers), every spark-submit is bounded by {@link JobSubmitter}'s timeout, every test by
 * {@link Timeout}.
 */
@ExtendWith(SubmitSuite.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class YarnIT {

  static final int ROWS = 600_000;
  static final int FILES = 12;
  static final int CHANNELS = 16;

  private static final Pattern SUMMARY = Pattern.compile(
      "sparknorm: method=(\\w+) rows_in=(\\d+) rows_out=(\\d+) rows_skipped=(\\d+) invalid_kept=(\\d+) ");
  /**
   * Every run reads one input file per task (each about 6.5 MB; Spark would pack several into one task): twelve
   * tasks a pass, so that a pass outlasts a few progress lines and a lost executor loses only some of them.
   */
  private static final List<String> ONE_FILE_PER_TASK = List.of("spark.sql.files.maxPartitionBytes=8m");
  private static final Pattern STATISTICS_PROGRESS = Pattern.compile("sparknorm: progress stage=statistics rows=(\\d+)");

  /** Set by {@link SubmitSuite}. */
  private static WorkDir work;
  private static JobSubmitter submit;
  private static SparkSession spark;
  private static SubmitSuite.Report report;
  private static YarnCluster yarn;
  private static Path input;
  private static final AtomicInteger TAGS = new AtomicInteger();
  private static final ExecutorService BACKGROUND = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "YarnIT submit");
    t.setDaemon(true);
    return t;
  });

  /** The local[2] runs by method, and their outputs by id: the references. */
  private static final Map<String, Run> LOCAL = new ConcurrentHashMap<>();
  private static final Map<String, double[][]> REFERENCE = new ConcurrentHashMap<>();

  /** One finished run: its files, what spark-submit printed, and on YARN the application's tag. */
  record Run(String label, String tag, Path output, Path stats, Path events, ChildProcess.Result result,
      double seconds) {
  }

  @BeforeAll
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  static void start() {
    long t0 = System.nanoTime();
    input = work.root().resolve("input");
    // Channel c ~ N(7c - 50.25, (c + 1.5)^2), seeds fixed: range() gives every row its partition, and randn(seed) is
    // seeded by seed + partition, so the same values on every run; one file per partition.
    List<Column> channels = new ArrayList<>();
    for (int c = 0; c < CHANNELS; c++) {
      channels.add(randn(2000 + c).multiply(lit(c + 1.5)).plus(lit(7.0 * c - 50.25)));
    }
    spark.range(0, ROWS, 1, FILES).select(col("id"), array(channels.toArray(new Column[0])).as("features"))
        .write().parquet(input.toString());
    report.add("input: %d rows x %d doubles in %d Parquet files, generated in %.1f s", ROWS, CHANNELS, FILES,
        (System.nanoTime() - t0) / 1e9);
    // The references run in local[2] while the cluster starts.
    CompletableFuture<Void> references = CompletableFuture.runAsync(() -> {
      for (String method : List.of("batch", "group")) {
        Run local = run(method, "local[2]", List.of(), method + " local[2]", List.of());
        assertSucceeded(local);
        LOCAL.put(method, local);
        REFERENCE.put(method, SameBits.readById(spark, local.output(), ROWS, CHANNELS));
      }
    }, BACKGROUND);
    yarn = YarnCluster.start(work.root().resolve("yarn"), Duration.ofSeconds(90));
    report.add("MiniYARNCluster (1 ResourceManager, 2 NodeManagers) up in %.1f s: pid %d, ResourceManager %s",
        yarn.secondsToStart(), yarn.pid(), yarn.rmAddress());
    references.join();
    report.add("local[2] references: batch %.1f s, group %.1f s", LOCAL.get("batch").seconds(),
        LOCAL.get("group").seconds());
  }

  @AfterAll
  static void stop() {
    try {
      if (yarn != null) {
        ChildProcess.Stop stopped = yarn.stop();
        report.add("MiniYARNCluster stop: %s", stopped.report());
        assertTrue(stopped.gone(), "the MiniYARNCluster's JVM or a container outlived the stop: " + stopped.report());
      }
    } finally {
      BACKGROUND.shutdownNow();
    }
  }

  @Test
  @Order(1)
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void batchInClientModeEqualsLocal() {
    Run run = onYarn("batch", "client", "batch, yarn client", List.of());
    assertSucceededOnYarn(run, run.result().stdout());
    SameBits.assertSameValues(REFERENCE.get("batch"), SameBits.readById(spark, run.output(), ROWS, CHANNELS),
        run.label());
    assertSameStatistics(run);
    report.add("%s: exit 0 in %.1f s; output and statistics bit-identical to local[2]", run.label(), run.seconds());
  }

  @Test
  @Order(2)
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void groupInClientModeEqualsLocal() {
    Run run = onYarn("group", "client", "group, yarn client", List.of());
    assertSucceededOnYarn(run, run.result().stdout());
    SameBits.assertSameValues(REFERENCE.get("group"), SameBits.readById(spark, run.output(), ROWS, CHANNELS),
        run.label());
    report.add("%s: exit 0 in %.1f s; output bit-identical to local[2]", run.label(), run.seconds());
  }

  @Test
  @Order(3)
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void batchInClusterModeEqualsLocal() {
    Run run = onYarn("batch", "cluster", "batch, yarn cluster", List.of());
    assertSucceededOnYarn(run, driverLog(run, "stdout"));
    assertFalse(run.result().stdout().contains("sparknorm:"), "cluster mode: the summary line went to spark-submit's"
        + " own output: " + run.result().describe());
    SameBits.assertSameValues(REFERENCE.get("batch"), SameBits.readById(spark, run.output(), ROWS, CHANNELS),
        run.label());
    assertSameStatistics(run);
    report.add("%s: exit 0 in %.1f s; summary line in the driver container's stdout; output and statistics"
        + " bit-identical to local[2]", run.label(), run.seconds());
  }

  @Test
  @Order(4)
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void groupInClusterModeEqualsLocal() {
    Run run = onYarn("group", "cluster", "group, yarn cluster", List.of());
    assertSucceededOnYarn(run, driverLog(run, "stdout"));
    SameBits.assertSameValues(REFERENCE.get("group"), SameBits.readById(spark, run.output(), ROWS, CHANNELS),
        run.label());
    report.add("%s: exit 0 in %.1f s; output bit-identical to local[2]", run.label(), run.seconds());
  }

  @Test
  @Order(5)
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void aFailedJobInClusterModeFailsTheApplicationAndSparkSubmit() {
    Path missing = work.root().resolve("no-such-input");
    Run run = onYarn("layer", "cluster", "layer, yarn cluster, missing input", List.of("--input", missing.toString()));
    assertEquals(1, run.result().exitCode(), run.result()::describe);
    JsonNode app = finished(run);
    assertEquals("FINISHED", app.path("state").asText(), app.toPrettyString());
    assertEquals("FAILED", app.path("finalStatus").asText(), app.toPrettyString());
    String stderr = driverLog(run, "stderr");
    List<String> errors = stderr.lines().filter(line -> line.startsWith("error:")).toList();
    assertEquals(List.of("error: input " + missing + " does not exist"), errors, stderr);
    assertFalse(driverLog(run, "stdout").contains("sparknorm:"), "a summary line on a failure");
    assertFalse(Files.exists(run.output()), "output of a failed job: " + run.output());
    report.add("%s: spark-submit exit 1 in %.1f s; final status FAILED; the driver container's stderr: %s",
        run.label(), run.seconds(), errors.get(0));
  }

  @Test
  @Order(6)
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void containerKilledDuringTheStatisticsPass() throws Exception {
    String label = "batch, yarn client, executor container killed during the statistics pass";
    Path dir = work.newDir(label);
    String tag = tag();
    Path output = dir.resolve("output");
    Path stats = dir.resolve("stats.json");
    Path events = Files.createDirectories(dir.resolve("events"));
    List<String> conf = new ArrayList<>(ONE_FILE_PER_TASK);
    conf.addAll(yarnConf(tag, events));
    conf.add("spark.driver.extraJavaOptions=-D" + "sparknorm.progress.intervalMs=200");
    long t0 = System.nanoTime();
    ChildProcess job = submit.start("yarn", List.of("--deploy-mode", "client"), yarnEnv(), conf,
        jobArgs("batch", output, stats), dir.resolve("submit.out"), dir.resolve("submit.err"));
    String killedId = null;
    long killedPid = -1;
    String seen = null;
    double killedAt = Double.NaN;
    try {
      while (job.isAlive() && System.nanoTime() - t0 < TimeUnit.MINUTES.toNanos(3)) {
        Matcher progress = STATISTICS_PROGRESS.matcher(job.stderr());
        long rows = 0;
        while (progress.find()) {
          rows = Long.parseLong(progress.group(1));
          seen = progress.group();
        }
        if (rows > 0) {
          String appId = yarn.application(tag).path("id").asText();
          List<ProcessHandle> executors = yarn.executors(appId);
          assertEquals(2, executors.size(), "executor JVMs of " + appId + ": " + executors);
          ProcessHandle victim = executors.get(0);
          List<String> args = ChildProcess.commandLine(victim.pid());
          killedId = args.get(args.indexOf("--executor-id") + 1);
          killedPid = victim.pid();
          victim.destroyForcibly(); // SIGKILL
          killedAt = (System.nanoTime() - t0) / 1e9;
          System.out.printf("[YarnIT] kill -9 executor %s (pid %d) of %s %.1f s after submit, after '%s'%n", killedId,
              killedPid, appId, killedAt, seen);
          break;
        }
        Thread.sleep(50);
      }
      assertNotNull(killedId, "the job ended before its statistics pass was seen reading rows: nothing killed\n"
          + job.tail());
      assertTrue(job.waitFor(Duration.ofMinutes(3)), "the job did not end within 3 minutes of the kill");
    } finally {
      job.kill();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    long victimPid = killedPid;
    assertFalse(ProcessHandle.of(victimPid).map(ProcessHandle::isAlive).orElse(false), "pid " + victimPid + " alive");
    Run run = new Run(label, tag, output, stats, events, new ChildProcess.Result(List.of(label), job.exitCode(),
        job.stdout(), job.stderr(), seconds), seconds);
    assertSucceededOnYarn(run, run.result().stdout());

    // The kill landed in the statistics pass: tasks of its stages were lost with the executor.
    EventLog log = EventLog.read(events);
    Set<Integer> stages = log.stagesOf("batch_norm_stats at ColumnarStatistics");
    assertFalse(stages.isEmpty(), "no statistics stages in the event log: " + log.sqlExecutions());
    String victim = killedId;
    List<EventLog.TaskEnd> lost = log.taskEnds().stream().filter(t -> stages.contains(t.stageId())
        && t.executorId().equals(victim) && t.reason().equals("ExecutorLostFailure")).toList();
    assertFalse(lost.isEmpty(), "no task of the statistics stages " + stages + " lost with executor " + victim
        + ": " + log.taskEnds());
    log.jobResults().forEach((id, result) -> assertEquals("JobSucceeded", result, "job " + id));
    long succeeded = log.taskEnds().stream().filter(t -> stages.contains(t.stageId())
        && t.reason().equals("Success")).count();

    SameBits.assertSameValues(REFERENCE.get("batch"), SameBits.readById(spark, output, ROWS, CHANNELS), label);
    assertSameStatistics(run);
    report.add("%s: exit 0 in %.1f s; executor %s (pid %d) killed %.1f s after submit ('%s'); %d task(s) of the"
            + " statistics stages %s lost, %d succeeded; rows_in=rows_out=%d; output and statistics bit-identical"
            + " to local[2]", label, seconds, killedId, killedPid, killedAt, seen, lost.size(), stages, succeeded, ROWS);
  }

  // ------------------------------------------------------------------------------------------------------------

  private static String tag() {
    return "yarnit-" + ProcessHandle.current().pid() + "-" + TAGS.incrementAndGet();
  }

  /** HADOOP_CONF_DIR and YARN_CONF_DIR: the cluster's configuration. */
  private static Map<String, String> yarnEnv() {
    String conf = yarn.confDir().toString();
    return Map.of("HADOOP_CONF_DIR", conf, "YARN_CONF_DIR", conf);
  }

  /** What a run on the minicluster needs: the runtime's own jars, staging on local disk, loopback, small sizes. */
  private static List<String> yarnConf(String tag, Path events) {
    Path jars = Path.of("target", "spark-home", "jars").toAbsolutePath();
    return List.of("spark.yarn.jars=local:" + jars + "/*",
        "spark.yarn.stagingDir=" + work.root().resolve("staging").toUri(),
        "spark.yarn.appMasterEnv.SPARK_LOCAL_IP=127.0.0.1", "spark.executorEnv.SPARK_LOCAL_IP=127.0.0.1",
        "spark.executor.instances=2", "spark.executor.cores=1", "spark.executor.memory=512m",
        "spark.yarn.am.memory=512m", "spark.yarn.maxAppAttempts=1", "spark.yarn.tags=" + tag,
        // The executor JVMs with C1 only, like the driver (see JobSubmitter): they live for one short job.
        "spark.executor.extraJavaOptions=-XX:TieredStopAtLevel=1",
        "spark.eventLog.enabled=true", "spark.eventLog.dir=" + events.toUri(), "spark.eventLog.compress=false");
  }

  private static List<String> jobArgs(String method, Path output, Path stats) {
    List<String> args = new ArrayList<>(List.of("--input", input.toString(), "--output", output.toString(),
        "--method", method));
    switch (method) {
      case "batch" -> args.addAll(List.of("--shape", Integer.toString(CHANNELS), "--stats-out", stats.toString()));
      case "group" -> args.addAll(List.of("--shape", "4,4", "--groups", "2"));
      case "layer" -> args.addAll(List.of("--shape", Integer.toString(CHANNELS)));
      default -> throw new IllegalArgumentException(method);
    }
    return args;
  }

  private static Run onYarn(String method, String deployMode, String label, List<String> jobArgsToReplace) {
    return run(method, "yarn", List.of("--deploy-mode", deployMode), label, jobArgsToReplace);
  }

  /**
   * One spark-submit of the job jar; {@code replace} (option, value pairs) replaces options of the standard job
   * arguments.
   */
  private static Run run(String method, String master, List<String> submitOptions, String label,
      List<String> replace) {
    Path dir = work.newDir(label);
    Path output = dir.resolve("output");
    Path stats = method.equals("batch") ? dir.resolve("stats.json") : null;
    List<String> args = jobArgs(method, output, stats);
    for (int i = 0; i + 1 < replace.size(); i += 2) {
      args.set(args.indexOf(replace.get(i)) + 1, replace.get(i + 1));
    }
    String tag = null;
    Path events = null;
    List<String> conf = new ArrayList<>(ONE_FILE_PER_TASK);
    Map<String, String> env = Map.of();
    if (master.equals("yarn")) {
      tag = tag();
      events = dir.resolve("events");
      try {
        Files.createDirectories(events);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      conf.addAll(yarnConf(tag, events));
      env = yarnEnv();
    }
    long t0 = System.nanoTime();
    ChildProcess.Result result = submit.run(label, master, submitOptions, env, conf, args);
    return new Run(label, tag, output, stats, events, result, (System.nanoTime() - t0) / 1e9);
  }

  /** The run's application in its final state, as the ResourceManager's REST API gives it. */
  private static JsonNode finished(Run run) {
    try {
      return yarn.finishedApplication(run.tag(), Duration.ofSeconds(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** The driver container's log in cluster mode: the application master's container, the first. */
  private static String driverLog(Run run, String name) {
    String appId = yarn.application(run.tag()).path("id").asText();
    try {
      return Files.readString(yarn.containerLog(appId, "000001", name), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Exit 0 and the summary line's counts exact: every row in, every row out, none skipped or kept invalid. */
  private static void assertSucceeded(Run run) {
    assertEquals(0, run.result().exitCode(), run.label() + ": " + run.result().describe());
    assertSummary(run, run.result().stdout());
  }

  private static void assertSummary(Run run, String stdout) {
    Matcher m = SUMMARY.matcher(stdout);
    assertTrue(m.find(), run.label() + ": no summary line in\n" + stdout + "\n" + run.result().describe());
    assertEquals(ROWS, Long.parseLong(m.group(2)), run.label() + ": rows_in in " + m.group());
    assertEquals(ROWS, Long.parseLong(m.group(3)), run.label() + ": rows_out in " + m.group());
    assertEquals(0, Long.parseLong(m.group(4)), run.label() + ": rows_skipped in " + m.group());
    assertEquals(0, Long.parseLong(m.group(5)), run.label() + ": invalid_kept in " + m.group());
    assertTrue(Files.isDirectory(run.output()), run.label() + ": no output at " + run.output());
  }

  /**
   * Exit 0; the ResourceManager says the application finished and succeeded; its tasks ran on YARN executors only;
   * the summary line, from {@code stdout} (spark-submit's in client mode, the driver container's in cluster mode),
   * exact.
   */
  private static void assertSucceededOnYarn(Run run, String stdout) {
    assertEquals(0, run.result().exitCode(), run.label() + ": " + run.result().describe());
    JsonNode app = finished(run);
    assertEquals("FINISHED", app.path("state").asText(), run.label() + ": " + app.toPrettyString());
    assertEquals("SUCCEEDED", app.path("finalStatus").asText(), run.label() + ": " + app.toPrettyString());
    EventLog log = EventLog.read(run.events());
    // In cluster mode Spark names the log after the attempt: APPID_1.
    assertTrue(log.appId().equals(app.path("id").asText()) || log.appId().equals(app.path("id").asText() + "_1"),
        run.label() + ": the event log's application " + log.appId() + " for " + app.path("id").asText());
    assertFalse(log.taskEnds().isEmpty(), run.label() + ": no task in the event log");
    assertTrue(log.taskEnds().stream().noneMatch(t -> t.executorId().equals("driver")), run.label() + ": tasks in"
        + " the driver");
    assertSummary(run, stdout);
  }

  private static void assertSameStatistics(Run run) {
    SameBits.assertSameStatistics(LOCAL.get("batch").stats(), run.stats(), run.label());
    assertEquals(ROWS, TestSpark.readJson(run.stats()).path("count").asLong(), run.label() + ": count");
  }
}
