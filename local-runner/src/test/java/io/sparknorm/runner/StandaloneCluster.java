package io.sparknorm.runner;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparknorm.testing.ChildProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A Spark standalone cluster (one Master, one Worker on 127.0.0.1) started with the checked-in script
 * {@code local-runner/cluster}, exactly as a user starts it, in its own folder; {@link #close()} stops it with
 * {@code cluster stop} and then makes sure, by process id, that nothing it recorded is left.
 *
 * <p>The script prints the master URL and writes {@code cluster.env} (the pids, the web UI port); the Master and
 * Worker JVMs outlive it. Executors are the Worker's child processes running
 * {@value #EXECUTOR_CLASS}: {@link #executors()} finds them by the Worker's pid, never by name on the whole machine.
 * Should the test JVM end without {@link #close()}, a shutdown hook kills the recorded pids and the Worker's children.
 */
final class StandaloneCluster implements AutoCloseable {

  /** The main class of an executor JVM that a standalone Worker launches. */
  static final String EXECUTOR_CLASS = "org.apache.spark.executor.CoarseGrainedExecutorBackend";

  /** System property naming the script; default {@code cluster} in the working directory (local-runner/). */
  static final String SCRIPT_PROPERTY = "sparknorm.cluster.script";

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();

  /** One executor JVM: its process, and the executor and application ids from its command line. */
  record Executor(ProcessHandle process, String executorId, String appId) {
    long pid() {
      return process.pid();
    }
  }

  private final Path dir;
  private final String url;
  private final int webUiPort;
  private final long masterPid;
  private final long workerPid;
  private final double secondsToStart;
  private final Thread shutdownHook;
  private String stopReport = "not stopped";

  private StandaloneCluster(Path dir, String url, int webUiPort, long masterPid, long workerPid,
      double secondsToStart) {
    this.dir = dir;
    this.url = url;
    this.webUiPort = webUiPort;
    this.masterPid = masterPid;
    this.workerPid = workerPid;
    this.secondsToStart = secondsToStart;
    this.shutdownHook = new Thread(this::killAll, "stop standalone cluster " + masterPid + "/" + workerPid);
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  static Path script() {
    String configured = System.getProperty(SCRIPT_PROPERTY);
    return (configured != null && !configured.isBlank() ? Path.of(configured) : Path.of("cluster"))
        .toAbsolutePath().normalize();
  }

  /**
   * Runs {@code cluster start --dir DIR --timeout SECONDS} and waits for it (bounded: the script's own timeout plus
   * 60 s, then it and everything it started are killed).
   *
   * @throws IllegalStateException when the script fails, with its output
   */
  static StandaloneCluster start(Path dir, Duration timeout) {
    long started = System.nanoTime();
    ChildProcess.Result result = runScript(List.of("start", "--dir", dir.toString(), "--timeout",
        Long.toString(timeout.toSeconds())), timeout.plusSeconds(60));
    Map<String, String> env = readEnv(dir);
    if (result.exitCode() != 0 || !env.containsKey("MASTER_URL")) {
      // Whatever it recorded must not outlive a failed start.
      for (String key : List.of("WORKER_PID", "MASTER_PID")) {
        if (env.containsKey(key)) {
          long pid = Long.parseLong(env.get(key));
          // Only if that pid still runs a Spark daemon (not a process that took a freed pid).
          if (String.join(" ", ChildProcess.commandLine(pid)).contains("org.apache.spark.deploy.")) {
            ProcessHandle.of(pid).ifPresent(ChildProcess::killTree);
          }
        }
      }
      throw new IllegalStateException("cluster start failed: " + result.describe());
    }
    String printed = result.stdout().strip();
    if (!printed.equals(env.get("MASTER_URL"))) {
      throw new IllegalStateException("cluster start printed '" + printed + "', but cluster.env says "
          + env.get("MASTER_URL") + "\n" + result.describe());
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    StandaloneCluster cluster = new StandaloneCluster(dir, printed, Integer.parseInt(env.get("WEBUI_PORT")),
        Long.parseLong(env.get("MASTER_PID")), Long.parseLong(env.get("WORKER_PID")), seconds);
    System.out.printf(Locale.ROOT, "[cluster] %s up in %.1f s: master pid %d, worker pid %d, web UI port %d%n",
        cluster.url, seconds, cluster.masterPid, cluster.workerPid, cluster.webUiPort);
    return cluster;
  }

  String url() {
    return url;
  }

  Path dir() {
    return dir;
  }

  long masterPid() {
    return masterPid;
  }

  long workerPid() {
    return workerPid;
  }

  double secondsToStart() {
    return secondsToStart;
  }

  boolean isAlive() {
    return alive(masterPid) && alive(workerPid);
  }

  /** The executor JVMs that the Worker runs now: its child processes whose command line names the executor class. */
  List<Executor> executors() {
    Optional<ProcessHandle> worker = ProcessHandle.of(workerPid);
    if (worker.isEmpty()) {
      return List.of();
    }
    List<Executor> executors = new ArrayList<>();
    worker.get().children().forEach(child -> {
      List<String> args = ChildProcess.commandLine(child.pid());
      if (child.isAlive() && args.contains(EXECUTOR_CLASS)) {
        executors.add(new Executor(child, argument(args, "--executor-id"), argument(args, "--app-id")));
      }
    });
    return executors;
  }

  /** The Master's JSON status ({@code http://127.0.0.1:WEBUI/json/}). */
  JsonNode masterJson() {
    return getJson(webUiPort, "/json/");
  }

  /** {@code cluster status --dir DIR}: exit code and output. */
  ChildProcess.Result status() {
    return runScript(List.of("status", "--dir", dir.toString()), Duration.ofSeconds(30));
  }

  String stopReport() {
    return stopReport;
  }

  /**
   * {@code cluster stop --dir DIR}, then checks by pid that the Master, the Worker and every executor seen before are
   * gone; kills (SIGKILL) whatever is left. Bounded: the script gets 90 s. Idempotent.
   *
   * @return true when nothing is left
   */
  boolean stop() {
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
    List<ProcessHandle> family = new ArrayList<>();
    ProcessHandle.of(workerPid).ifPresent(w -> w.descendants().forEach(family::add));
    long t0 = System.nanoTime();
    int exitCode;
    String stderr;
    try {
      ChildProcess.Result result = runScript(List.of("stop", "--dir", dir.toString(), "--timeout", "30"),
          Duration.ofSeconds(90));
      exitCode = result.exitCode();
      stderr = result.stderr();
    } catch (RuntimeException e) {
      exitCode = -1;
      stderr = String.valueOf(e);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    List<Long> left = new ArrayList<>();
    for (long pid : List.of(workerPid, masterPid)) {
      if (alive(pid)) {
        left.add(pid);
      }
    }
    family.stream().filter(ProcessHandle::isAlive).map(ProcessHandle::pid).forEach(left::add);
    if (!left.isEmpty()) {
      killAll();
      family.forEach(ProcessHandle::destroyForcibly);
    }
    stopReport = String.format(Locale.ROOT, "cluster stop exit %d in %.1f s (%s)%s", exitCode, seconds,
        stderr.strip().replace('\n', ' '), left.isEmpty() ? "" : "; LEFT ALIVE, killed: " + left);
    System.out.println("[cluster] " + stopReport);
    return left.isEmpty() && exitCode == 0;
  }

  @Override
  public void close() {
    stop();
  }

  // ------------------------------------------------------------------------------------------------------------

  /** Runs the script with the given arguments ({@link ChildProcess}), bounded in time, then killed. */
  static ChildProcess.Result runScript(List<String> args, Duration timeout) {
    List<String> command = new ArrayList<>();
    command.add(script().toString());
    command.addAll(args);
    return ChildProcess.of(command).without("SPARK_CONF_DIR", "SPARK_ENV_LOADED").run(timeout);
  }

  /** GET http://127.0.0.1:PORT/PATH as JSON; null when nothing answers or the answer is not JSON. */
  static JsonNode getJson(int port, String path) {
    try {
      HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .timeout(Duration.ofSeconds(3)).GET().build(), HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? TestSpark.JSON.readTree(response.body()) : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static String argument(List<String> args, String option) {
    int i = args.indexOf(option);
    return i >= 0 && i + 1 < args.size() ? args.get(i + 1) : null;
  }

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  /** SIGKILL to the Worker's descendants, the Worker and the Master: by their recorded pids only. */
  private void killAll() {
    ProcessHandle.of(workerPid).ifPresent(ChildProcess::killTree);
    ProcessHandle.of(masterPid).ifPresent(ProcessHandle::destroyForcibly);
  }

  private static Map<String, String> readEnv(Path dir) {
    Map<String, String> env = new LinkedHashMap<>();
    Path file = dir.resolve("cluster.env");
    if (Files.isRegularFile(file)) {
      for (String line : read(file).split("\n")) {
        int eq = line.indexOf('=');
        if (eq > 0) {
          env.put(line.substring(0, eq), line.substring(eq + 1).strip());
        }
      }
    } else {
      // A failed start removes cluster.env: the pid files tell what may still run.
      for (String[] pidFile : new String[][] {{"master.pid", "MASTER_PID"}, {"worker.pid", "WORKER_PID"}}) {
        String pid = read(dir.resolve(pidFile[0])).strip();
        if (pid.matches("[0-9]+")) {
          env.put(pidFile[1], pid);
        }
      }
    }
    return env;
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? new String(Files.readAllBytes(file), StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "";
    }
  }
}
