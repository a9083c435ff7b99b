package io.sparknorm.runner;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Spark's Connect server ({@code org.apache.spark.sql.connect.service.SparkConnectServer}) started through
 * {@code local-runner/spark-submit} in a child process, bound to 127.0.0.1 on a free port, with the given jars and
 * configuration; {@link #close()} stops it by its process id.
 *
 * <p>Processes. The script execs Spark's driver JVM (its launcher JVM has ended by then), so the child's process id
 * is that JVM's; {@link #jvmCommand()} tells what runs under it. {@link #close()} sends SIGTERM to it (Spark's
 * shutdown hooks stop the gRPC server and the SparkContext), waits up to {@link #STOP_GRACE}, then kills it and
 * every process it started (SIGKILL), and waits again; it reports whatever is still alive after that.
 *
 * <p>Port. A free port is taken from the kernel (bind to 127.0.0.1:0, then released) and passed with
 * {@code spark.connect.grpc.binding.port} and {@code spark.connect.grpc.port.maxRetries=0}, so the server either gets
 * exactly that port or fails; when it fails because another process took the port in between, {@link #start}
 * tries again with a new one (3 attempts). Ready means: the port accepts a TCP connection. The server binds its
 * gRPC port only after its SparkSession is up, so a client connecting then is served at once.
 *
 * <p>Standard output and error go to {@code server-N.out} and {@code server-N.err} (N: the attempt) in the given
 * folder. Should the test JVM end without {@link #close()} (killed by Maven, interrupted), a shutdown hook still stops
 * the server.
 */
final class ConnectServer implements AutoCloseable {

  /** The main class that Spark's own sbin/start-connect-server.sh submits. */
  static final String MAIN_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer";

  /** How long {@link #close()} lets Spark shut down after SIGTERM before it kills. */
  static final Duration STOP_GRACE = Duration.ofSeconds(30);

  private static final int ATTEMPTS = 3;

  private final Process process;
  private final int port;
  private final Path stdout;
  private final Path stderr;
  private final long startedNanos;
  private final double secondsToReady;
  private final Thread shutdownHook;
  private String stopReport = "not stopped";

  private ConnectServer(Process process, int port, Path stdout, Path stderr, long startedNanos,
              double secondsToReady) {
    this.process = process;
    this.port = port;
    this.stdout = stdout;
    this.stderr = stderr;
    this.startedNanos = startedNanos;
    this.secondsToReady = secondsToReady;
    this.shutdownHook = new Thread(() -> {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }, "stop Connect server " + process.pid());
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /**
   * Starts the server and waits until it accepts connections.
   *
   * @param dir          where the server's standard output and error go
   * @param submitArgs   spark-submit options before {@code --class} (e.g. {@code --jars}, {@code --conf K=V}); the
   *                     master, binding address, port and UI setting are added here
   * @param readyTimeout how long the server may take to accept connections; it is killed when it takes longer
   * @throws IllegalStateException when the server ends or does not get ready in time (with its output)
   */
  static ConnectServer start(Path dir, List<String> submitArgs, Duration readyTimeout) {
    IllegalStateException last = null;
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      int port = freeLoopbackPort();
      Path out = dir.resolve("server-" + attempt + ".out");
      Path err = dir.resolve("server-" + attempt + ".err");
      List<String> command = new ArrayList<>();
      command.add(SparkSubmitProcess.defaultScript().toString());
      command.addAll(List.of("--master", "local[2]", "--driver-memory", "1g",
          "--conf", "spark.ui.enabled=false",
          "--conf", "spark.connect.grpc.binding.address=127.0.0.1",
          "--conf", "spark.connect.grpc.binding.port=" + port,
          "--conf", "spark.connect.grpc.port.maxRetries=0"));
      command.addAll(submitArgs);
      command.addAll(List.of("--class", MAIN_CLASS, "--name", "sparknorm SparkConnectIT", "spark-internal"));
      ProcessBuilder builder = new ProcessBuilder(command)
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectOutput(out.toFile())
          .redirectError(err.toFile());
      builder.environment().remove("SPARK_CONF_DIR");
      builder.environment().remove("SPARK_ENV_LOADED");
      builder.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
      long started = System.nanoTime();
      Process process;
      try {
        process = builder.start();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot run " + command, e);
      }
      System.out.printf(Locale.ROOT, "[SparkConnectIT] Connect server pid %d, port %d: %s%n", process.pid(), port,
          String.join(" ", command));
      long deadline = started + readyTimeout.toNanos();
      while (true) {
        if (!process.isAlive()) {
          last = new IllegalStateException("the Connect server ended with exit code " + process.exitValue()
              + " before accepting connections on port " + port + "\n" + tail(out, err));
          break;
        }
        if (accepts(port) && process.isAlive()) {
          double seconds = (System.nanoTime() - started) / 1e9;
          System.out.printf(Locale.ROOT, "[SparkConnectIT] Connect server ready on 127.0.0.1:%d after %.1f s%n",
              port, seconds);
          return new ConnectServer(process, port, out, err, started, seconds);
        }
        if (System.nanoTime() > deadline) {
          ConnectServer server = new ConnectServer(process, port, out, err, started, Double.NaN);
          server.close();
          throw new IllegalStateException("the Connect server did not accept connections on port " + port
              + " within " + readyTimeout + "; stopped: " + server.stopReport() + "\n" + tail(out, err));
        }
        try {
          sleep(250);
        } catch (IllegalStateException interrupted) {
          process.descendants().forEach(ProcessHandle::destroyForcibly);
          process.destroyForcibly();
          throw interrupted;
        }
      }
      if (!read(err).contains("Address already in use")) {
        throw last;
      }
    }
    throw last;
  }

  /** The Connect URL of this server: {@code sc://127.0.0.1:PORT}. */
  String url() {
    return "sc://127.0.0.1:" + port;
  }

  int port() {
    return port;
  }

  long pid() {
    return process.pid();
  }

  double secondsToReady() {
    return secondsToReady;
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** The command line of the process with the child's id (the JVM, once the script has exec'ed it). */
  String jvmCommand() {
    ProcessHandle.Info info = process.info();
    return info.command().orElse("?") + " (" + info.arguments().map(a -> a.length).orElse(0) + " arguments)";
  }

  /** Whether the process under the script's id is a java process (the script exec'ed the driver JVM). */
  boolean isJava() {
    return process.info().command().map(c -> c.endsWith("/java")).orElse(false);
  }

  /** Everything the server has started and is still running, as "pid: command line". */
  List<String> descendants() {
    return process.descendants().map(p -> p.pid() + ": " + p.info().commandLine().orElse("?")).toList();
  }

  /** The server's standard error so far (Spark's warnings; its log level is WARN). */
  String stderr() {
    return read(stderr);
  }

  /** The last lines of the server's output, for assertion messages. */
  String tail() {
    return tail(stdout, stderr);
  }

  /** What {@link #close()} did. */
  String stopReport() {
    return stopReport;
  }

  /**
   * Stops the server by its process id: SIGTERM, up to {@link #STOP_GRACE}, then SIGKILL to it and its descendants;
   * bounded in time (at most the grace period plus 10 s). Idempotent.
   *
   * @return true if nothing of it is alive afterwards
   */
  boolean stop() {
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
    if (!process.isAlive() && process.descendants().findAny().isEmpty()) {
      if (stopReport.equals("not stopped")) {
        stopReport = "had ended by itself with exit code " + process.exitValue();
      }
      return true;
    }
    List<ProcessHandle> family = new ArrayList<>(process.descendants().toList());
    long t0 = System.nanoTime();
    process.destroy(); // SIGTERM
    boolean ended = waitFor(process, STOP_GRACE);
    String how;
    if (ended) {
      how = String.format(Locale.ROOT, "SIGTERM, ended in %.1f s with exit code %d", (System.nanoTime() - t0) / 1e9,
          process.exitValue());
    } else {
      family.addAll(process.descendants().toList());
      family.forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      waitFor(process, Duration.ofSeconds(10));
      how = "did not end within " + STOP_GRACE + " of SIGTERM: killed (SIGKILL)";
    }
    // Whatever the JVM started must not outlive it.
    for (ProcessHandle child : family) {
      if (child.isAlive()) {
        child.destroyForcibly();
      }
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (family.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
      sleep(100);
    }
    List<Long> alive = new ArrayList<>();
    if (process.isAlive()) {
      alive.add(process.pid());
    }
    family.stream().filter(ProcessHandle::isAlive).map(ProcessHandle::pid).forEach(alive::add);
    stopReport = "pid " + process.pid() + ": " + how + (family.isEmpty() ? "" : "; children " + family.stream()
        .map(p -> Long.toString(p.pid())).toList()) + (alive.isEmpty() ? "" : "; STILL ALIVE: " + alive)
        + String.format(Locale.ROOT, "; up %.1f s in all", (System.nanoTime() - startedNanos) / 1e9);
    System.out.println("[SparkConnectIT] Connect server stopped: " + stopReport);
    return alive.isEmpty();
  }

  @Override
  public void close() {
    stop();
  }

  /** Whether 127.0.0.1:port is free to bind (nothing listens there any more). */
  static boolean portIsFree(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  // ------------------------------------------------------------------------------------------------------------

  private static int freeLoopbackPort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port on 127.0.0.1", e);
    }
  }

  private static boolean accepts(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean waitFor(Process process, Duration timeout) {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !process.isAlive();
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? new String(Files.readAllBytes(file), StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e + ")";
    }
  }

  private static String tail(Path out, Path err) {
    return "--- server stdout (end) ---\n" + last(read(out), 3000) + "\n--- server stderr (end) ---\n"
        + last(read(err), 6000);
  }

  private static String last(String text, int chars) {
    return text.length() <= chars ? text : "..." + text.substring(text.length() - chars);
  }
}
