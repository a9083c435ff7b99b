package io.sparknorm.runner;

import io.sparknorm.testing.ChildProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Spark's Connect server ({@code org.apache.spark.sql.connect.service.SparkConnectServer}) started through
 * {@code local-runner/spark-submit} in a child process ({@link ChildProcess}), bound to 127.0.0.1 on a free port,
 * with the given jars and configuration; {@link #close()} stops it by its process id.
 *
 * <p>Processes. The script execs Spark's driver JVM (its launcher JVM has ended by then), so the child's process id
 * is that JVM's; {@link #jvmCommand()} tells what runs under it. {@link #stop()} sends SIGTERM to it (Spark's
 * shutdown hooks stop the gRPC server and the SparkContext), waits up to {@link #STOP_GRACE}, then kills it and
 * every process it started (SIGKILL), and waits again; it reports whatever is still alive after that.
 *
 * <p>Port. A free port is taken from the kernel ({@link Loopback#freePort}) and passed with
 * {@code spark.connect.grpc.binding.port} and {@code spark.connect.grpc.port.maxRetries=0}, so the server either gets
 * exactly that port or fails; when it fails because another process took the port in between, {@link #start}
 * tries again with a new one (3 attempts). Ready means: the port accepts a TCP connection. The server binds its
 * gRPC port only after its SparkSession is up, so a client connecting then is served at once.
 *
 * <p>Standard output and error go to {@code server-N.out} and {@code server-N.err} (N: the attempt) in the given
 * folder. Should the test JVM end without {@link #close()} (killed by Maven, interrupted), a shutdown hook still kills
 * the server.
 */
final class ConnectServer implements AutoCloseable {

  /** The main class that Spark's own sbin/start-connect-server.sh submits. */
  static final String MAIN_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer";

  /** How long {@link #stop()} lets Spark shut down after SIGTERM before it kills. */
  static final Duration STOP_GRACE = Duration.ofSeconds(30);

  private static final int ATTEMPTS = 3;
  private static final Duration POLL = Duration.ofMillis(250);

  private final ChildProcess process;
  private final int port;
  private final double secondsToReady;
  private String stopReport = "not stopped";
  private boolean stopped;
  private boolean gone;

  private ConnectServer(ChildProcess process, int port, double secondsToReady) {
    this.process = process;
    this.port = port;
    this.secondsToReady = secondsToReady;
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
      int port = Loopback.freePort();
      List<String> args = new ArrayList<>(List.of("--master", "local[2]", "--driver-memory", "1g",
          "--conf", "spark.ui.enabled=false",
          "--conf", "spark.connect.grpc.binding.address=127.0.0.1",
          "--conf", "spark.connect.grpc.binding.port=" + port,
          "--conf", "spark.connect.grpc.port.maxRetries=0"));
      args.addAll(submitArgs);
      args.addAll(List.of("--class", MAIN_CLASS, "--name", "sparknorm SparkConnectIT", "spark-internal"));
      ChildProcess process = new SparkSubmitProcess().launch(args)
          .output(dir.resolve("server-" + attempt + ".out"), dir.resolve("server-" + attempt + ".err")).start();
      System.out.printf(Locale.ROOT, "[SparkConnectIT] Connect server pid %d, port %d: %s%n", process.pid(), port,
          String.join(" ", args));
      long deadline = System.nanoTime() + readyTimeout.toNanos();
      while (process.isAlive() && !Loopback.accepts(port) && System.nanoTime() < deadline) {
        process.waitFor(POLL);
        if (Thread.currentThread().isInterrupted()) {
          process.kill();
          throw new IllegalStateException("interrupted while the Connect server started; killed it");
        }
      }
      if (process.isAlive() && Loopback.accepts(port)) {
        System.out.printf(Locale.ROOT, "[SparkConnectIT] Connect server ready on 127.0.0.1:%d after %.1f s%n",
            port, process.seconds());
        return new ConnectServer(process, port, process.seconds());
      }
      if (process.isAlive()) {
        ChildProcess.Stop stop = process.stop(STOP_GRACE);
        throw new IllegalStateException("the Connect server did not accept connections on port " + port
            + " within " + readyTimeout + "; stopped: " + stop.report() + "\n" + process.tail());
      }
      last = new IllegalStateException("the Connect server ended with exit code " + process.exitCode()
          + " before accepting connections on port " + port + "\n" + process.tail());
      if (!process.stderr().contains("Address already in use")) {
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
    ProcessHandle.Info info = process.handle().info();
    return info.command().orElse("?") + " (" + info.arguments().map(a -> a.length).orElse(0) + " arguments)";
  }

  /** Whether the process under the script's id is a java process (the script exec'ed the driver JVM). */
  boolean isJava() {
    return process.handle().info().command().map(c -> c.endsWith("/java")).orElse(false);
  }

  /** Everything the server has started and is still running, as "pid: command line". */
  List<String> descendants() {
    return process.descendants();
  }

  /** The server's standard error so far (Spark's warnings; its log level is WARN). */
  String stderr() {
    return process.stderr();
  }

  /** The last lines of the server's output, for assertion messages. */
  String tail() {
    return process.tail();
  }

  /** What {@link #stop()} did. */
  String stopReport() {
    return stopReport;
  }

  /**
   * Stops the server by its process id ({@link ChildProcess#stop}): SIGTERM, up to {@link #STOP_GRACE}, then SIGKILL
   * to it and its descendants; bounded in time. Idempotent.
   *
   * @return true if nothing of it is alive afterwards
   */
  boolean stop() {
    if (!stopped) {
      ChildProcess.Stop stop = process.stop(STOP_GRACE);
      stopped = true;
      gone = stop.gone();
      stopReport = stop.report();
      System.out.println("[SparkConnectIT] Connect server stopped: " + stopReport);
    }
    return gone;
  }

  @Override
  public void close() {
    stop();
  }
}
