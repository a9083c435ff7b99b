package io.sparknorm.runner;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.testing.ChildProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.DoubleSummaryStatistics;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Semaphore;

/**
 * Submits the built job jar ({@code spark-job/target/sparknorm-job.jar}) through {@code local-runner/spark-submit},
 * exactly as a user would, with {@link SparkSubmitProcess}; records how long every run took.
 *
 * <p>Every run gets {@code --master local[2]} (or the master given), {@code --conf spark.ui.enabled=false
 * --driver-memory 1g} and
 * {@code --driver-java-options} from the system property {@value #DRIVER_OPTIONS_PROPERTY} (default
 * {@value #DEFAULT_DRIVER_OPTIONS}; {@code none} for no options). Why C1 only: a run is dominated by the JVM and Spark starting up; on the 2-core
 * test machine C2 compiling Spark's start-up code competes with it, and with C1 only two runs at a time pay (without C1
 * they gain nothing; the figures are in benchmarks/PERFORMANCE-LOG.md). Java 17's floating point is strict (JEP 306),
 * so the JIT tier cannot change a single result.
 *
 * <p>At most {@value #PARALLEL_PROPERTY} (default 2) runs at a time in this JVM, whatever JUnit's thread pool does.
 */
final class JobSubmitter {

  static final String DRIVER_OPTIONS_PROPERTY = "sparknorm.it.driver.java.options";
  static final String DEFAULT_DRIVER_OPTIONS = "-XX:TieredStopAtLevel=1";
  static final String PARALLEL_PROPERTY = "sparknorm.it.parallel";
  static final String JAR_PROPERTY = "sparknorm.job.jar";
  private static final String DRIVER_EXTRA_OPTIONS = "spark.driver.extraJavaOptions=";

  private static final Semaphore SLOTS = new Semaphore(parallelism(), true);

  /** One spark-submit run: what it was, how long it took, how it ended. */
  record Timing(String label, double seconds, int exitCode) {
  }

  private final String suite;
  private final Path jar;
  private final SparkSubmitProcess process = new SparkSubmitProcess(Duration.ofMinutes(4));
  private final List<Timing> timings = Collections.synchronizedList(new ArrayList<>());
  private final long created = System.nanoTime();

  /**
   * @param suite  names the runs in the report
   * @param folder where to keep this suite's copy of the job jar: the jar is copied (and checked to be a whole zip)
   *               once, so that a rebuild of spark-job during the run cannot hand a half-written jar to a run
   */
  JobSubmitter(String suite, Path folder) {
    this.suite = suite;
    this.jar = snapshot(jobJar(), folder.resolve("sparknorm-job.jar"));
  }

  /** Copies the jar and reads every entry (checking its CRC); retries a few times while a build rewrites it. */
  private static Path snapshot(Path source, Path target) {
    IOException last = null;
    for (int attempt = 0; attempt < 10; attempt++) {
      try {
        Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
        try (ZipFile zip = new ZipFile(target.toFile())) {
          assertTrue(zip.getEntry("io/sparknorm/job/NormalizeJob.class") != null,
              "no io/sparknorm/job/NormalizeJob.class in " + source);
          for (ZipEntry entry : Collections.list(zip.entries())) {
            try (InputStream in = zip.getInputStream(entry)) {
              in.transferTo(OutputStream.nullOutputStream());
            }
          }
        }
        return target;
      } catch (IOException e) {
        last = e;
        try {
          Thread.sleep(3000);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    throw new UncheckedIOException("cannot take a whole copy of " + source, last);
  }

  /** The copy of the job jar that this suite submits. */
  Path jar() {
    return jar;
  }

  static int parallelism() {
    return Math.max(1, Integer.getInteger(PARALLEL_PROPERTY, 2));
  }

  /** The job jar the build made; fails the test with a hint when it is missing. */
  static Path jobJar() {
    String configured = System.getProperty(JAR_PROPERTY);
    Path jar = (configured != null && !configured.isBlank() ? Path.of(configured)
        : Path.of("..", "spark-job", "target", "sparknorm-job.jar")).toAbsolutePath().normalize();
    assertTrue(Files.isRegularFile(jar), "no job jar at " + jar + ": build it first (mvn -B package -DskipTests)");
    return jar;
  }

  /**
   * Runs {@code spark-submit [standard options] [sparkConf...] JAR jobArgs...}.
   *
   * @param label     names the run in the timing report
   * @param sparkConf extra {@code --conf K=V} settings (only the K=V part), may be empty; {@code spark.driver.extraJavaOptions=...} is added to the driver options
   * @param jobArgs   the job's arguments
   */
  ChildProcess.Result run(String label, List<String> sparkConf, List<String> jobArgs) {
    return run(label, "local[2]", sparkConf, jobArgs);
  }

  /**
   * As {@link #run(String, List, List)} with another master, e.g. {@code spark://127.0.0.1:PORT} (a later
   * {@code spark.ui.enabled=true} in {@code sparkConf} overrides the standard {@code false}).
   */
  ChildProcess.Result run(String label, String master, List<String> sparkConf, List<String> jobArgs) {
    return run(label, master, Map.of(), sparkConf, jobArgs);
  }

  /**
   * As {@link #run(String, String, List, List)} with environment variables added for the spark-submit process, e.g.
   * {@code HADOOP_USER_NAME} to run the job as another Hadoop user.
   */
  ChildProcess.Result run(String label, String master, Map<String, String> env, List<String> sparkConf,
      List<String> jobArgs) {
    return run(label, master, List.of(), env, sparkConf, jobArgs);
  }

  /**
   * As {@link #run(String, String, Map, List, List)} with more spark-submit options after the master, e.g.
   * {@code --deploy-mode cluster}.
   */
  ChildProcess.Result run(String label, String master, List<String> submitOptions, Map<String, String> env,
      List<String> sparkConf, List<String> jobArgs) {
    return timed(label, process(env).launch(arguments(master, submitOptions, sparkConf, null, jobArgs)));
  }

  /**
   * Runs the job jar's {@code io.sparknorm.job.RunSql} (statements, each printed as tab-separated lines) with the
   * standard options and {@code sparkConf}: to set up or look at a catalog as the jobs see it.
   */
  ChildProcess.Result runSql(String label, List<String> sparkConf, List<String> statements) {
    return timed(label, process.launch(arguments("local[2]", List.of(), sparkConf, "io.sparknorm.job.RunSql",
        statements)));
  }

  /**
   * Runs {@code spark-submit ARGS} with exactly these arguments (no standard option added, the jar as given) from
   * {@code directory}: a command as the README shows it. Counted and timed with the other runs.
   */
  ChildProcess.Result runAsIs(String label, Path directory, List<String> args) {
    return timed(label, process.launch(args).directory(directory));
  }

  /**
   * The same spark-submit as {@link #run(String, String, List, Map, List, List)}, started and left running (a job to
   * watch and disturb mid-way); the caller waits for it, bounded, and ends it. Its output goes to {@code out} and
   * {@code err}, readable while it runs.
   */
  ChildProcess start(String master, List<String> submitOptions, Map<String, String> env, List<String> sparkConf,
      List<String> jobArgs, Path out, Path err) {
    return process(env).launch(arguments(master, submitOptions, sparkConf, null, jobArgs)).output(out, err).start();
  }

  private ChildProcess.Result timed(String label, ChildProcess.Launch launch) {
    SLOTS.acquireUninterruptibly();
    long start = System.nanoTime();
    try {
      ChildProcess.Result result = launch.run(process.timeout());
      double seconds = (System.nanoTime() - start) / 1e9;
      timings.add(new Timing(label, seconds, result.exitCode()));
      System.out.printf(Locale.ROOT, "[%s] %-70s exit %d in %5.1f s%n", suite, label, result.exitCode(), seconds);
      return result;
    } finally {
      SLOTS.release();
    }
  }

  private SparkSubmitProcess process(Map<String, String> env) {
    SparkSubmitProcess child = process;
    for (Map.Entry<String, String> variable : env.entrySet()) {
      child = child.withEnv(variable.getKey(), variable.getValue());
    }
    return child;
  }

  private List<String> arguments(String master, List<String> submitOptions, List<String> sparkConf, String mainClass,
      List<String> jobArgs) {
    List<String> args = new ArrayList<>(List.of("--master", master));
    args.addAll(submitOptions);
    args.addAll(List.of("--conf", "spark.ui.enabled=false", "--driver-memory", "1g"));
    String driverOptions = System.getProperty(DRIVER_OPTIONS_PROPERTY, DEFAULT_DRIVER_OPTIONS).strip();
    if (driverOptions.equals("none")) {
      driverOptions = "";
    }
    for (String conf : sparkConf) {
      // --driver-java-options would replace a --conf spark.driver.extraJavaOptions: join them instead.
      if (conf.startsWith(DRIVER_EXTRA_OPTIONS)) {
        driverOptions = (driverOptions + " " + conf.substring(DRIVER_EXTRA_OPTIONS.length())).strip();
      } else {
        args.add("--conf");
        args.add(conf);
      }
    }
    if (!driverOptions.isBlank()) {
      args.add("--driver-java-options");
      args.add(driverOptions);
    }
    if (mainClass != null) {
      args.add("--class");
      args.add(mainClass);
    }
    args.add(jar.toString());
    args.addAll(jobArgs);
    return args;
  }

  ChildProcess.Result run(String label, List<String> jobArgs) {
    return run(label, List.of(), jobArgs);
  }

  /** The timing report: number of runs, their total, mean, min and max, and the wall time since creation. */
  String summary() {
    List<Timing> copy;
    synchronized (timings) {
      copy = new ArrayList<>(timings);
    }
    DoubleSummaryStatistics s = copy.stream().mapToDouble(Timing::seconds).summaryStatistics();
    double wall = (System.nanoTime() - created) / 1e9;
    return String.format(Locale.ROOT,
        "[%s] %d spark-submit runs (at most %d at a time, driver options '%s'): sum %.1f s, mean %.2f s,"
            + " min %.1f s, max %.1f s; wall time of the class %.1f s",
        suite, s.getCount(), parallelism(), System.getProperty(DRIVER_OPTIONS_PROPERTY, DEFAULT_DRIVER_OPTIONS),
        s.getSum(), s.getCount() == 0 ? 0 : s.getAverage(), s.getCount() == 0 ? 0 : s.getMin(),
        s.getCount() == 0 ? 0 : s.getMax(), wall);
  }
}
