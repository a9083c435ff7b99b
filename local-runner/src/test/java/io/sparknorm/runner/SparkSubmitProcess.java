package io.sparknorm.runner;

import io.sparknorm.testing.ChildProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Runs {@code local-runner/spark-submit} in a separate process ({@link ChildProcess}), as a user would from a shell,
 * and captures what it did: for integration tests of the script and of jobs submitted through it.
 *
 * <p>The script is found at {@code spark-submit} in the working directory, which is the module's base directory
 * ({@code local-runner/}) when Maven's surefire or failsafe run the test; the system property
 * {@code sparknorm.spark.submit} names another path. The child process:
 * <ul>
 *   <li>inherits this JVM's environment, with {@code SPARK_LOCAL_IP=127.0.0.1} and without {@code SPARK_CONF_DIR}
 *       and {@code SPARK_ENV_LOADED}, so that it binds to loopback and uses the runner's own {@code conf/}
 *       whatever the developer's shell holds; {@link #withEnv} adds or replaces variables;</li>
 *   <li>runs in the same working directory as this JVM, so relative paths in arguments mean the same;</li>
 *   <li>gets no standard input; its standard output and standard error are captured in full (through files, so a
 *       chatty process never blocks on a full pipe), decoded as UTF-8.</li>
 * </ul>
 *
 * <p>Instances are immutable; {@link #withEnv} and {@link #withTimeout} return copies. Example:
 * <pre>{@code
 * ChildProcess.Result r = new SparkSubmitProcess(Duration.ofMinutes(2))
 *     .run("--master", "local[2]", "--conf", "spark.ui.enabled=false",
 *          "../spark-job/target/sparknorm-job.jar", "--input", in, "--output", out, "--method", "layer");
 * assertEquals(0, r.exitCode(), r::describe);
 * }</pre>
 * A run that takes longer than the timeout is killed with everything it started ({@link ChildProcess.Timeout}).
 * {@link #launch} gives the same process to start and leave running (a server, a job to kill mid-way).
 */
public final class SparkSubmitProcess {

  /** System property that overrides where the script is; default {@code spark-submit} in the working directory. */
  public static final String SCRIPT_PROPERTY = "sparknorm.spark.submit";

  /** How long {@link #SparkSubmitProcess()} lets a run take. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

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
   * @param timeout how long one run may take before it is killed and {@link ChildProcess.Timeout} is thrown
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

  /** How long a run may take. */
  public Duration timeout() {
    return timeout;
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
   * @throws ChildProcess.Timeout if the run takes longer than the timeout
   */
  public ChildProcess.Result run(String... args) {
    return run(List.of(args));
  }

  /** As {@link #run(String...)}. */
  public ChildProcess.Result run(List<String> args) {
    return launch(args).run(timeout);
  }

  /** {@code spark-submit ARGS} with this instance's environment, to start and leave running. */
  public ChildProcess.Launch launch(List<String> args) {
    if (!Files.isRegularFile(script)) {
      throw new IllegalStateException("no spark-submit script at " + script
          + " (run the test from the local-runner module, or set -D" + SCRIPT_PROPERTY + ")");
    }
    List<String> command = new ArrayList<>(args.size() + 1);
    command.add(script.toString());
    command.addAll(args);
    return ChildProcess.of(command).without("SPARK_CONF_DIR", "SPARK_ENV_LOADED").env("SPARK_LOCAL_IP", "127.0.0.1")
        .env(env);
  }

  private static Duration requirePositive(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
    return timeout;
  }
}
