package io.sparknorm.runner;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code local-runner/spark-submit} in a separate process, as a user would from a shell, and captures what it
 * did: for integration tests of the script and of jobs submitted through it.
 *
 * <p>The script is found at {@code spark-submit} in the working directory, which is the module's base directory
 * ({@code local-runner/}) when Maven's surefire or failsafe run the test; the system property
 * {@code sparknorm.spark.submit} names another path. The child process:
 * <ul>
 *   <li>inherits this JVM's environment, with {@code SPARK_LOCAL_IP=127.0.0.1} and without {@code SPARK_CONF_DIR}
 *       and {@code SPARK_ENV_LOADED}, so that it binds to loopback and uses the runner's own {@code conf/}
 *       whatever the developer's shell holds; {@link #withEnv} adds or replaces variables;</li>
 *   <li>runs in the same working directory as this JVM, so relative paths in arguments mean the same;</li>
 *   <li>gets no standard input; its standard output and standard error are captured in full (through temporary
 *       files, so a chatty process never blocks on a full pipe), decoded as UTF-8.</li>
 * </ul>
 *
 * <p>Instances are immutable; {@link #withEnv} and {@link #withTimeout} return copies. Example:
 * <pre>{@code
 * SparkSubmitProcess.Result r = new SparkSubmitProcess(Duration.ofMinutes(2))
 *     .run("--master", "local[2]", "--conf", "spark.ui.enabled=false",
 *          "../spark-job/target/sparknorm-job.jar", "--input", in, "--output", out, "--method", "layer");
 * assertEquals(0, r.exitCode(), r::describe);
 * }</pre>
 */
public final class SparkSubmitProcess {

  /** System property that overrides where the script is; default {@code spark-submit} in the working directory. */
  public static final String SCRIPT_PROPERTY = "sparknorm.spark.submit";

  /** How long {@link #SparkSubmitProcess()} lets a run take. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

  /**
   * What one run did.
   *
   * @param exitCode the exit status of the script (the application's own, since the script execs Spark's JVM)
   * @param stdout   everything the process wrote to standard output
   * @param stderr   everything the process wrote to standard error (Spark's log lines go there)
   */
  public record Result(int exitCode, String stdout, String stderr) {

    /** Standard output, then standard error. */
    public String output() {
      return stdout + stderr;
    }

    /** A description for assertion messages: the exit code and both streams. */
    public String describe() {
      return "exit code " + exitCode + "\n--- stdout ---\n" + stdout + "\n--- stderr ---\n" + stderr;
    }
  }

  /** Thrown when a run does not end within the timeout; the process and its descendants have been killed. */
  public static final class TimeoutException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient Result partial;

    TimeoutException(Duration timeout, List<String> command, Result partial) {
      super("spark-submit did not end within " + timeout + ": " + command + "\n" + partial.describe());
      this.partial = partial;
    }

    /** What the process had written before it was killed; its exit code is -1. */
    public Result partial() {
      return partial;
    }
  }

  private final Path script;
  private final Duration timeout;
  private final Map<String, String> env;

  /** Runs the script with the {@link #DEFAULT_TIMEOUT}. */
  public SparkSubmitProcess() {
    this(DEFAULT_TIMEOUT);
  }

  /**
   * Runs the script with the given timeout.
   *
   * @param timeout how long one run may take before it is killed and {@link TimeoutException} is thrown
   */
  public SparkSubmitProcess(Duration timeout) {
    this(defaultScript(), timeout, Map.of());
  }

  private SparkSubmitProcess(Path script, Duration timeout, Map<String, String> env) {
    this.script = script;
    this.timeout = requirePositive(timeout);
    this.env = Map.copyOf(env);
  }

  /** The script as found from the working directory or the {@value #SCRIPT_PROPERTY} system property. */
  public static Path defaultScript() {
    String configured = System.getProperty(SCRIPT_PROPERTY);
    Path path = configured != null && !configured.isBlank() ? Path.of(configured) : Path.of("spark-submit");
    return path.toAbsolutePath().normalize();
  }

  /** The script this instance runs. */
  public Path script() {
    return script;
  }

  /** A copy that also sets the environment variable {@code name} to {@code value} in the child process. */
  public SparkSubmitProcess withEnv(String name, String value) {
    Map<String, String> copy = new LinkedHashMap<>(env);
    copy.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
    return new SparkSubmitProcess(script, timeout, copy);
  }

  /** A copy with another timeout. */
  public SparkSubmitProcess withTimeout(Duration newTimeout) {
    return new SparkSubmitProcess(script, newTimeout, env);
  }

  /**
   * Runs {@code spark-submit ARGS} and waits for it.
   *
   * @param args the arguments, exactly as spark-submit takes them (no shell in between: no quoting needed)
   * @return the exit code and both output streams
   * @throws TimeoutException     if the run takes longer than the timeout
   * @throws UncheckedIOException if the process cannot be started or its output not read
   */
  public Result run(String... args) {
    return run(List.of(args));
  }

  /** As {@link #run(String...)}. */
  public Result run(List<String> args) {
    if (!Files.isRegularFile(script)) {
      throw new IllegalStateException("no spark-submit script at " + script
          + " (run the test from the local-runner module, or set -D" + SCRIPT_PROPERTY + ")");
    }
    List<String> command = new ArrayList<>(args.size() + 1);
    command.add(script.toString());
    command.addAll(args);

    Path out = null;
    Path err = null;
    try {
      out = Files.createTempFile("spark-submit-", ".out");
      err = Files.createTempFile("spark-submit-", ".err");
      ProcessBuilder builder = new ProcessBuilder(command)
          .redirectInput(ProcessBuilder.Redirect.from(nullDevice()))
          .redirectOutput(out.toFile())
          .redirectError(err.toFile());
      Map<String, String> childEnv = builder.environment();
      childEnv.remove("SPARK_CONF_DIR");
      childEnv.remove("SPARK_ENV_LOADED");
      childEnv.put("SPARK_LOCAL_IP", "127.0.0.1");
      childEnv.putAll(env);

      Process process = builder.start();
      boolean ended;
      try {
        ended = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        kill(process);
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for spark-submit", e);
      }
      if (!ended) {
        kill(process);
        throw new TimeoutException(timeout, command, new Result(-1, read(out), read(err)));
      }
      return new Result(process.exitValue(), read(out), read(err));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command, e);
    } finally {
      deleteQuietly(out);
      deleteQuietly(err);
    }
  }

  /** Kills the process and everything it started (the launcher JVM, Spark's driver JVM), and waits for it. */
  private static void kill(Process process) {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String read(Path file) throws IOException {
    // Lenient: a malformed byte becomes U+FFFD instead of failing the test run.
    return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
  }

  private static void deleteQuietly(Path file) {
    if (file != null) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException ignored) {
        // a temporary file left behind is harmless
      }
    }
  }

  private static File nullDevice() {
    return new File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
  }

  private static Duration requirePositive(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
    return timeout;
  }
}
