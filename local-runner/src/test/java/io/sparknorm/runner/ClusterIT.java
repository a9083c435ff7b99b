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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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
 * The job on a real Spark standalone cluster, and the loss of its executor mid-job.
 *
 * <p>{@code local-runner/cluster start} (through {@link StandaloneCluster}) starts a Master and one Worker (2 cores,
 * 3g) on 127.0.0.1; the built job jar goes to it with {@code local-runner/spark-submit --master spark://...}. The
 * input: 200,000 rows of {@code id} and 16 doubles (16 channels of different means and spreads) in 8 Parquet files,
 * generated from fixed seeds. Batch (with {@code --stats-out}), layer and group norm (shape (4,4), 2 groups) on the
 * cluster are compared with {@code --master local[2]} runs of the same input: the same ids, each once, and every
 * output value bit for bit ({@link Double#doubleToRawLongBits}); the statistics file number for number.
 *
 * <p>Executor loss. Batch norm runs twice more on the cluster, its executor given one core (so that a phase's
 * tasks run one after the other), with the driver's status API on a loopback port; the test polls it and, 0.1 s
 * after the statistics phase (the SQL execution {@code batch_norm_stats at ColumnarStatistics.java}, the pass over
 * the Parquet scan's columnar batches) and, in the second run, 0.4 s after the write phase ({@code save at
 * Formats}) have running tasks,
 * kills the executor JVM with SIGKILL: the Worker's child process running {@code CoarseGrainedExecutorBackend},
 * found by the Worker's pid. The job must still succeed with the undisturbed numbers and exact counts. That the kill
 * really landed mid-phase is read from the application's event log afterwards: tasks of that phase's stages ended
 * with {@code ExecutorLostFailure} on the killed executor, which was removed, and another executor was added. A kill
 * that came too late fails the test.
 *
 * <p>Processes: the cluster is stopped in {@link #stop()} with {@code cluster stop}, then checked by pid (and killed
 * by pid if anything is left); every spark-submit is bounded by {@link JobSubmitter}'s timeout and every test by
 * {@link Timeout}.
 */
@ExtendWith(SubmitSuite.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {

  static final int ROWS = 200_000;
  static final int FILES = 8;
  static final int CHANNELS = 16;

  /**
   * How long the phase must have had running tasks before the kill: into the tasks, not at their launch. The
   * statistics pass's tasks are much shorter than the write's, even on the one executor core the kill runs get, so
   * it is killed sooner.
   */
  static final Duration RUNNING_BEFORE_KILL_STATISTICS = Duration.ofMillis(100);
  static final Duration RUNNING_BEFORE_KILL_WRITE = Duration.ofMillis(400);

  private static final Pattern SUMMARY = Pattern.compile(
      "sparknorm: method=(\\w+) rows_in=(\\d+) rows_out=(\\d+) rows_skipped=(\\d+) invalid_kept=(\\d+) seconds=([0-9.]+)");

  /** Set by {@link SubmitSuite}. */
  private static WorkDir work;
  private static JobSubmitter submit;
  private static SparkSession spark;
  private static SubmitSuite.Report report;
  private static StandaloneCluster cluster;
  private static Path input;
  private static final ExecutorService BACKGROUND = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "ClusterIT submit");
    t.setDaemon(true);
    return t;
  });

  /** The local[2] runs, by method: computed once, shared by the tests. */
  private static final Map<String, Run> LOCAL = new ConcurrentHashMap<>();
  private static double[][] batchReference;

  /** One finished job run: where its output and statistics went, what it printed, how long it took. */
  record Run(String label, Path output, Path stats, Path eventLogDir, ChildProcess.Result result,
      double seconds) {
  }

  /** What the kill did: when, in which phase state, which executor, and when Spark's replacement appeared. */
  record Kill(String phase, double secondsAfterSubmit, long pid, String executorId, String appId, long jobId,
      int activeTasks, int completedTasks, int totalTasks, double secondsToNewExecutor) {
  }

  @BeforeAll
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  static void start() {
    long t0 = System.nanoTime();
    input = work.root().resolve("input");
    // 16 channels, channel c ~ N(7c - 50.25, (c + 1.5)^2), seeds fixed: range() gives every row its partition, and
    // randn(seed) is seeded by seed + partition, so the same values on every run. 8 partitions, 8 files.
    List<Column> channels = new ArrayList<>();
    for (int c = 0; c < CHANNELS; c++) {
      channels.add(randn(1000 + c).multiply(lit(c + 1.5)).plus(lit(7.0 * c - 50.25)));
    }
    spark.range(0, ROWS, 1, FILES).select(col("id"), array(channels.toArray(new Column[0])).as("features"))
        .write().parquet(input.toString());
    long parts = WorkDir.list(input).stream().filter(n -> n.startsWith("part-") && n.endsWith(".parquet")).count();
    assertEquals(FILES, parts, "Parquet files of the input: " + WorkDir.list(input));
    report.add("input: %d rows x %d doubles in %d Parquet files, generated in %.1f s", ROWS, CHANNELS, FILES,
        (System.nanoTime() - t0) / 1e9);
    // The batch reference runs in local[2] while the cluster starts (both mostly JVM start-up).
    CompletableFuture<Run> batchLocal = CompletableFuture.supplyAsync(() -> local("batch"), BACKGROUND);
    cluster = StandaloneCluster.start(work.root().resolve("cluster"), Duration.ofSeconds(120));
    batchLocal.join();
    report.add("cluster start: %s in %.1f s (master pid %d, worker pid %d)", cluster.url(), cluster.secondsToStart(),
        cluster.masterPid(), cluster.workerPid());
  }

  @AfterAll
  static void stop() {
    try {
      if (cluster != null) {
        List<StandaloneCluster.Executor> left = cluster.executors();
        boolean stopped = cluster.stop();
        report.add("cluster stop: %s", cluster.stopReport());
        for (StandaloneCluster.Executor executor : left) {
          assertFalse(executor.process().isAlive(), "executor pid " + executor.pid() + " outlived cluster stop");
        }
        assertTrue(stopped, "the cluster did not stop cleanly: " + cluster.stopReport());
        ChildProcess.Result status = cluster.status();
        assertEquals(3, status.exitCode(), "cluster status after stop: " + status.describe());
        assertTrue(status.stdout().contains("master: not running"), status.describe());
      }
    } finally {
      BACKGROUND.shutdownNow();
    }
  }

  @Test
  @Order(1)
  @Timeout(value = 1, unit = TimeUnit.MINUTES)
  void theScriptStartedAMasterAndOneRegisteredWorker() {
    JsonNode master = cluster.masterJson();
    assertNotNull(master, "no JSON from the Master's web UI");
    assertEquals("ALIVE", master.path("status").asText(), master.toPrettyString());
    assertEquals(cluster.url(), master.path("url").asText(), master.toPrettyString());
    assertEquals(1, master.path("aliveworkers").asInt(), master.toPrettyString());
    JsonNode worker = master.path("workers").get(0);
    assertEquals("127.0.0.1", worker.path("host").asText(), worker.toPrettyString());
    assertEquals(2, worker.path("cores").asInt(), worker.toPrettyString());
    assertEquals(3072, worker.path("memory").asInt(), "MiB for executors: " + worker.toPrettyString());
    for (long pid : List.of(cluster.masterPid(), cluster.workerPid())) {
      List<String> args = ChildProcess.commandLine(pid);
      assertTrue(!args.isEmpty() && args.get(0).endsWith("/java"), "pid " + pid + " is not a java process: " + args);
      assertTrue(args.stream().anyMatch(a -> a.startsWith("-Xmx")), "pid " + pid + " has no bounded heap: " + args);
    }
    ChildProcess.Result status = cluster.status();
    assertEquals(0, status.exitCode(), status.describe());
    assertTrue(status.stdout().contains("master: pid " + cluster.masterPid() + ", " + cluster.url()),
        status.describe());
    assertTrue(status.stdout().contains("worker: pid " + cluster.workerPid() + ", executors: none"),
        status.describe());
  }

  @Test
  @Order(2)
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void batchOnTheClusterEqualsLocal() {
    CompletableFuture<Run> reference = CompletableFuture.supplyAsync(() -> local("batch"), BACKGROUND);
    Run onCluster = runOnCluster("batch", "batch on the cluster", List.of());
    Run local = reference.join();
    assertSucceeded(onCluster);
    assertRanOnExecutors(onCluster);
    assertSameValues(batchReference(), readById(onCluster.output()), onCluster.label());
    assertSameStatistics(local.stats(), onCluster.stats(), onCluster.label());
    report.add("%s: exit 0 in %.1f s (local[2]: %.1f s); output and statistics bit-identical to local[2]",
        onCluster.label(), onCluster.seconds(), local.seconds());
  }

  @Test
  @Order(3)
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void layerOnTheClusterEqualsLocal() {
    compareWithLocal("layer");
  }

  @Test
  @Order(4)
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void groupOnTheClusterEqualsLocal() {
    compareWithLocal("group");
  }

  @Test
  @Order(5)
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void executorKilledDuringTheStatisticsPass() throws Exception {
    killRun("statistics", "batch_norm_stats at ColumnarStatistics", RUNNING_BEFORE_KILL_STATISTICS);
  }

  @Test
  @Order(6)
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void executorKilledDuringTheWrite() throws Exception {
    // The job writes files in Formats.write: its call site names the write's SQL execution.
    killRun("write", "save at Formats", RUNNING_BEFORE_KILL_WRITE);
  }

  // ------------------------------------------------------------------------------------------------------------

  private void compareWithLocal(String method) {
    // The local run and the cluster run at the same time: the cluster's executor is a separate JVM, and the two
    // drivers are mostly start-up.
    CompletableFuture<Run> local = CompletableFuture.supplyAsync(() -> local(method), BACKGROUND);
    Run onCluster = runOnCluster(method, method + " on the cluster", List.of());
    Run reference = local.join();
    assertSucceeded(onCluster);
    assertRanOnExecutors(onCluster);
    assertSameValues(readById(reference.output()), readById(onCluster.output()), onCluster.label());
    report.add("%s: exit 0 in %.1f s (local[2]: %.1f s); output bit-identical to local[2]", onCluster.label(),
        onCluster.seconds(), reference.seconds());
  }

  /**
   * Batch norm on the cluster with the driver's status API on; the executor is killed once the phase whose SQL
   * execution description contains {@code sqlDescription} has run tasks for {@code runningBeforeKill}.
   */
  private void killRun(String phase, String sqlDescription, Duration runningBeforeKill) throws Exception {
    int uiPort = Loopback.freePort();
    // The status API with every task event applied at once: by default Spark updates a live job's counts at most
    // every 100 ms AND only on the next event, so two tasks started together can show as 0 running for seconds.
    // One executor core: the phase's tasks run one after the other, so the phase lasts long enough to be seen.
    List<String> conf = List.of("spark.ui.enabled=true", "spark.ui.port=" + uiPort, "spark.ui.liveUpdate.period=0",
        "spark.cores.max=1");
    String label = "batch on the cluster, executor killed during the " + phase;
    long submitted = System.nanoTime();
    Future<Run> running = BACKGROUND.submit(() -> runOnCluster("batch", label, conf));
    Kill kill;
    List<String> trace = new ArrayList<>();
    try {
      kill = killDuring(phase, sqlDescription, runningBeforeKill, uiPort, running, submitted, trace);
    } catch (RuntimeException | Error e) {
      running.cancel(true);
      throw e;
    }
    Run run = running.get(4, TimeUnit.MINUTES);
    assertNotNull(kill, "the job ended before its " + phase + " phase was seen running: nothing was killed; what"
        + " the driver's status API showed:\n  " + String.join("\n  ", trace) + "\n" + run.result().describe());
    assertFalse(ProcessHandle.of(kill.pid()).map(ProcessHandle::isAlive).orElse(false),
        "the killed executor pid " + kill.pid() + " is still alive");
    assertSucceeded(run);

    // The kill landed in the phase: tasks of its stages were lost with the killed executor.
    EventLog log = EventLog.read(run.eventLogDir());
    assertTrue(log.ended(), "the event log of " + label + " has no application end");
    assertEquals(kill.appId(), log.appId(), "the killed executor belonged to another application");
    Set<Integer> stages = log.stagesOf(sqlDescription);
    assertFalse(stages.isEmpty(), "no stages of a SQL execution '" + sqlDescription + "' in the event log: "
        + log.sqlExecutions());
    List<EventLog.TaskEnd> lost = log.taskEnds().stream()
        .filter(t -> stages.contains(t.stageId()) && t.executorId().equals(kill.executorId())
            && t.reason().equals("ExecutorLostFailure")).toList();
    assertFalse(lost.isEmpty(), "the kill did not land in the " + phase + " phase: no task of its stages " + stages
        + " ended with ExecutorLostFailure on executor " + kill.executorId() + "; task ends: " + log.taskEnds());
    List<EventLog.ExecutorEvent> removed = log.executorsRemoved().stream()
        .filter(e -> e.executorId().equals(kill.executorId())).toList();
    assertEquals(1, removed.size(), "executor " + kill.executorId() + " removed: " + log.executorsRemoved());
    List<EventLog.ExecutorEvent> replacements = log.executorsAdded().stream()
        .filter(e -> !e.executorId().equals(kill.executorId()) && e.time() >= removed.get(0).time()).toList();
    assertFalse(replacements.isEmpty(), "no executor added after executor " + kill.executorId() + " was lost: "
        + log.executorsAdded());
    log.jobResults().forEach((job, result) -> assertEquals("JobSucceeded", result, "job " + job + " of " + label));
    List<EventLog.TaskEnd> succeeded = log.taskEnds().stream()
        .filter(t -> stages.contains(t.stageId()) && t.reason().equals("Success")).toList();
    assertTrue(succeeded.stream().anyMatch(t -> !t.executorId().equals(kill.executorId())),
        "no task of the " + phase + " stages succeeded on the new executor: " + log.taskEnds());

    // And the result is the undisturbed one, bit for bit.
    assertSameValues(batchReference(), readById(run.output()), label);
    assertSameStatistics(local("batch").stats(), run.stats(), label);
    report.add("%s: exit 0 in %.1f s; killed executor %s (pid %d) %.1f s after submit, job %d with %d of %d tasks"
            + " running and %d done; %d task(s) lost (%s), stages %s; new executor %s added %.1f s after the loss"
            + " (its JVM seen %.1f s after the kill); rows_in=rows_out=%d; output and statistics bit-identical",
        label, run.seconds(), kill.executorId(), kill.pid(), kill.secondsAfterSubmit(), kill.jobId(),
        kill.activeTasks(), kill.totalTasks(), kill.completedTasks(), lost.size(), removed.get(0).reason(),
        stages, replacements.get(0).executorId(), (replacements.get(0).time() - removed.get(0).time()) / 1e3,
        kill.secondsToNewExecutor(), ROWS);
  }

  /**
   * Polls the driver's status API ({@code /api/v1/applications/APP/sql} and {@code /jobs/ID}) every 50 ms until a
   * job of the SQL execution whose description contains {@code sqlDescription} has had running tasks for
   * {@code runningBeforeKill}, then kills the Worker's executor JVM (SIGKILL), and watches the Worker's children
   * until a new executor JVM appears. Returns null when the run ends first.
   */
  private static Kill killDuring(String phase, String sqlDescription, Duration runningBeforeKill, int uiPort,
      Future<Run> running, long submitted, List<String> trace) throws InterruptedException {
    String appId = null;
    long firstSeenRunning = 0;
    long runningJob = -1;
    String last = "";
    while (!running.isDone()) {
      Thread.sleep(50);
      if (appId == null) {
        JsonNode apps = StandaloneCluster.getJson(uiPort, "/api/v1/applications");
        if (apps != null && apps.size() > 0) {
          appId = apps.get(0).path("id").asText();
        }
        continue;
      }
      JsonNode executions = StandaloneCluster.getJson(uiPort,
          "/api/v1/applications/" + appId + "/sql?details=false&planDescription=false");
      JsonNode job = null;
      StringBuilder seen = new StringBuilder();
      if (executions != null) {
        for (JsonNode execution : executions) {
          seen.append(String.format(Locale.ROOT, " [%s: %s, running jobs %s]", execution.path("description").asText(),
              execution.path("status").asText(), execution.path("runningJobIds")));
          if (execution.path("description").asText().contains(sqlDescription)
              && execution.path("status").asText().equals("RUNNING")) {
            for (JsonNode jobId : execution.path("runningJobIds")) {
              JsonNode candidate = StandaloneCluster.getJson(uiPort,
                  "/api/v1/applications/" + appId + "/jobs/" + jobId.asLong());
              if (candidate != null) {
                seen.append(String.format(Locale.ROOT, " job %d: %d running, %d done of %d", jobId.asLong(),
                    candidate.path("numActiveTasks").asInt(), candidate.path("numCompletedTasks").asInt(),
                    candidate.path("numTasks").asInt()));
                if (candidate.path("numActiveTasks").asInt() > 0) {
                  job = candidate;
                }
              }
            }
          }
        }
      } else {
        seen.append(" no answer");
      }
      if (!seen.toString().equals(last) && trace.size() < 200) {
        trace.add(String.format(Locale.ROOT, "%.1f s:%s", (System.nanoTime() - submitted) / 1e9, seen));
        last = seen.toString();
      }
      if (job == null) {
        continue;
      }
      long now = System.nanoTime();
      if (firstSeenRunning == 0 || runningJob != job.path("jobId").asLong()) {
        firstSeenRunning = now;
        runningJob = job.path("jobId").asLong();
        continue;
      }
      if (now - firstSeenRunning < runningBeforeKill.toNanos()) {
        continue;
      }
      List<StandaloneCluster.Executor> executors = cluster.executors();
      assertEquals(1, executors.size(), "executor JVMs under worker pid " + cluster.workerPid() + ": " + executors);
      StandaloneCluster.Executor victim = executors.get(0);
      assertEquals(appId, victim.appId(), "the Worker's executor runs another application");
      victim.process().destroyForcibly(); // SIGKILL
      long killed = System.nanoTime();
      System.out.printf(Locale.ROOT, "[ClusterIT] kill -9 executor %s (pid %d) in the %s phase: job %d, %d tasks"
              + " running, %d done of %d%n", victim.executorId(), victim.pid(), phase, runningJob,
          job.path("numActiveTasks").asInt(), job.path("numCompletedTasks").asInt(), job.path("numTasks").asInt());
      double toNew = Double.NaN;
      while (!running.isDone() && Double.isNaN(toNew)) {
        if (cluster.executors().stream().anyMatch(e -> e.pid() != victim.pid())) {
          toNew = (System.nanoTime() - killed) / 1e9;
        } else {
          Thread.sleep(100);
        }
      }
      return new Kill(phase, (killed - submitted) / 1e9, victim.pid(), victim.executorId(), victim.appId(),
          runningJob, job.path("numActiveTasks").asInt(), job.path("numCompletedTasks").asInt(),
          job.path("numTasks").asInt(), toNew);
    }
    return null;
  }

  /** The local[2] run of a method, once per class (the reference). */
  private static Run local(String method) {
    return LOCAL.computeIfAbsent(method, m -> run(m, "local[2]", m + " local[2]", List.of()));
  }

  private static synchronized double[][] batchReference() {
    if (batchReference == null) {
      Run local = local("batch");
      assertSucceeded(local);
      batchReference = readById(local.output());
    }
    return batchReference;
  }

  private static Run runOnCluster(String method, String label, List<String> extraConf) {
    return run(method, cluster.url(), label, extraConf);
  }

  /** One spark-submit of the job jar; on the cluster with 1g executors and an uncompressed event log. */
  private static Run run(String method, String master, String label, List<String> extraConf) {
    Path dir = work.newDir(label);
    Path output = dir.resolve("output");
    Path stats = method.equals("batch") ? dir.resolve("stats.json") : null;
    Path events = null;
    List<String> conf = new ArrayList<>();
    if (master.startsWith("spark://")) {
      events = dir.resolve("events");
      try {
        Files.createDirectories(events);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      // The executor JVM with C1 only, like the driver (see JobSubmitter): it lives for one short job.
      conf.addAll(List.of("spark.executor.memory=1g", "spark.executor.extraJavaOptions=-XX:TieredStopAtLevel=1",
          "spark.eventLog.enabled=true",
          "spark.eventLog.dir=" + events.toUri(), "spark.eventLog.compress=false"));
    }
    conf.addAll(extraConf);
    List<String> args = new ArrayList<>(List.of("--input", input.toString(), "--output", output.toString(),
        "--method", method));
    switch (method) {
      case "batch" -> args.addAll(List.of("--shape", Integer.toString(CHANNELS), "--stats-out", stats.toString()));
      case "layer" -> args.addAll(List.of("--shape", Integer.toString(CHANNELS)));
      case "group" -> args.addAll(List.of("--shape", "4,4", "--groups", "2"));
      default -> throw new IllegalArgumentException(method);
    }
    long t0 = System.nanoTime();
    ChildProcess.Result result = submit.run(label, master, conf, args);
    return new Run(label, output, stats, events, result, (System.nanoTime() - t0) / 1e9);
  }

  /** Exit 0, and the summary line's counts exact: every row in, every row out, none skipped or kept invalid. */
  private static void assertSucceeded(Run run) {
    assertEquals(0, run.result().exitCode(), run.label() + ": " + run.result().describe());
    Matcher m = SUMMARY.matcher(run.result().stdout());
    assertTrue(m.find(), run.label() + ": no summary line\n" + run.result().describe());
    assertEquals(ROWS, Long.parseLong(m.group(2)), run.label() + ": rows_in in " + m.group());
    assertEquals(ROWS, Long.parseLong(m.group(3)), run.label() + ": rows_out in " + m.group());
    assertEquals(0, Long.parseLong(m.group(4)), run.label() + ": rows_skipped in " + m.group());
    assertEquals(0, Long.parseLong(m.group(5)), run.label() + ": invalid_kept in " + m.group());
    assertTrue(Files.isDirectory(run.output()), run.label() + ": no output at " + run.output());
  }

  /** The cluster run's tasks ran on the cluster's executors, not in the driver. */
  private static void assertRanOnExecutors(Run run) {
    EventLog log = EventLog.read(run.eventLogDir());
    List<EventLog.TaskEnd> tasks = log.taskEnds();
    assertFalse(tasks.isEmpty(), run.label() + ": no task in the event log");
    assertTrue(tasks.stream().noneMatch(t -> t.executorId().equals("driver")), run.label() + ": tasks in the driver");
    assertTrue(tasks.stream().allMatch(t -> t.reason().equals("Success")), run.label() + ": " + tasks);
    assertFalse(log.executorsAdded().isEmpty(), run.label() + ": no executor added");
  }

  /** The job's Parquet output by id: every id exactly once, each row CHANNELS doubles. */
  private static double[][] readById(Path output) {
    return SameBits.readById(spark, output, ROWS, CHANNELS);
  }

  private static void assertSameValues(double[][] expected, double[][] actual, String label) {
    SameBits.assertSameValues(expected, actual, label);
  }

  /** Both statistics files hold the same keys and every number with the same bits. */
  private static void assertSameStatistics(Path expectedFile, Path actualFile, String label) {
    SameBits.assertSameStatistics(expectedFile, actualFile, label);
    JsonNode actual = TestSpark.readJson(actualFile);
    assertEquals(ROWS, actual.path("count").asLong(), label + ": count in " + actual);
    for (String name : List.of("mean", "var", "var_unbiased", "mean_residual")) {
      assertEquals(CHANNELS, actual.path(name).size(), label + ": " + name + " in " + actual);
    }
  }
}
