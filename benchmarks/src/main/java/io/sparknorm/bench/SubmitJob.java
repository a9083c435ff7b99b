package io.sparknorm.bench;

import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * One job of {@code local-runner/bench-submit} as its own spark-submit run: the common part of
 * {@link EmptyJob}, {@link IdentityJob}, {@link ScalerJob}, {@link SqlJob} and {@link HandSqlJob}. Creates the
 * session, runs the job ({@link BenchJobs}), prints one line
 * {@code bench: job=NAME seconds=S} (NAME {@code identity-delta} for the identity job writing Delta) and stops
 * the session. The seconds count, as the
 * {@code seconds=} of {@code NormalizeJob}'s summary line, from the start of {@code main} to the
 * end of the write: the session's start is in them, the JVM's start and the session's stop are not.
 */
@Command(mixinStandardHelpOptions = true, sortOptions = false)
final class SubmitJob implements Callable<Integer> {

  @Option(names = "--input", paramLabel = "PATH", description = "The Parquet to read (all but the empty job).")
  String input;

  @Option(names = "--output", paramLabel = "PATH", description = "Where to write; replaced if there.")
  String output;

  @Option(names = "--output-format", paramLabel = "F", defaultValue = "parquet",
      description = "Identity job: parquet or delta (a Delta table at --output; the session needs Delta's extension,"
          + " catalog and jars; default ${DEFAULT-VALUE}).")
  String outputFormat;

  @Option(names = "--shape", paramLabel = "C[,D1,..]", defaultValue = "64",
      description = "Sample shape (SQL job: for layer_norm; hand-written SQL: its spatial size;"
          + " default ${DEFAULT-VALUE}).")
  String shape;

  @Option(names = "--api", description = "SQL job: the DataFrame API (functions.layerNorm) instead of SQL.")
  boolean api;

  @Option(names = "--batch", description = "Hand-written SQL: batch norm (posexplode, GROUP BY) instead of layer norm.")
  boolean batch;

  private final String job;
  private final long start;

  private SubmitJob(String job, long start) {
    this.job = job;
    this.start = start;
  }

  /** Parses {@code args} and runs {@code job}; returns the exit status. */
  static int run(String job, String description, String[] args) {
    long start = System.nanoTime();
    CommandLine cli = new CommandLine(new SubmitJob(job, start));
    cli.getCommandSpec().name(job);
    cli.getCommandSpec().usageMessage().description(description);
    if (!job.equals("sql")) {
      cli.getCommandSpec().remove(cli.getCommandSpec().findOption("--api"));
    }
    if (!job.equals("hand")) {
      cli.getCommandSpec().remove(cli.getCommandSpec().findOption("--batch"));
    }
    if (!job.equals("identity")) {
      cli.getCommandSpec().remove(cli.getCommandSpec().findOption("--output-format"));
    }
    if (!job.equals("sql") && !job.equals("hand")) {
      cli.getCommandSpec().remove(cli.getCommandSpec().findOption("--shape"));
    }
    if (job.equals("empty")) {
      cli.getCommandSpec().remove(cli.getCommandSpec().findOption("--input"));
      cli.getCommandSpec().remove(cli.getCommandSpec().findOption("--output"));
    }
    cli.setExecutionExceptionHandler((e, c, p) -> {
      System.err.println("error: " + job + ": " + e);
      e.printStackTrace(System.err);
      return 1;
    });
    return cli.execute(args);
  }

  @Override
  public Integer call() {
    if (!job.equals("empty") && (input == null || output == null)) {
      System.err.println("error: " + job + ": --input and --output are required");
      return 2;
    }
    if (!BenchJobs.OUTPUT_FORMATS.contains(outputFormat)) {
      System.err.println("error: " + job + ": --output-format must be one of " + String.join(", ",
          BenchJobs.OUTPUT_FORMATS) + ", got '" + outputFormat + "'");
      return 2;
    }
    String name = job.equals("sql") && api ? "api" : job.equals("hand") ? (batch ? "hand-batch" : "hand-layer")
        : job.equals("identity") && !outputFormat.equals("parquet") ? job + "-" + outputFormat : job;
    SparkSession spark = SparkSession.builder().appName("sparknorm bench " + name).getOrCreate();
    try {
      spark.sparkContext().setLogLevel("WARN");
      switch (name) {
        case "empty" -> { }
        case "identity", "identity-delta" -> BenchJobs.identity(spark, input, output, outputFormat);
        case "scaler" -> BenchJobs.standardScaler(spark, input, output);
        case "sql" -> BenchJobs.layerNormSql(spark, input, output, shape);
        case "api" -> BenchJobs.layerNormApi(spark, input, output, shape);
        case "hand-layer", "hand-batch" -> HandSql.run(spark, name, input, output, spatialSize(shape));
        default -> throw new IllegalStateException("unknown job " + name);
      }
      System.out.printf(Locale.ROOT, "bench: job=%s seconds=%.2f%n", name, (System.nanoTime() - start) / 1e9);
      return 0;
    } finally {
      spark.stop();
    }
  }

  /** The values each channel holds in a sample of this shape (C,D1,..): D1 x .. (1 for C alone). */
  private static int spatialSize(String shape) {
    String[] dims = shape.split(",");
    int spatial = 1;
    for (int i = 1; i < dims.length; i++) {
      spatial *= Integer.parseInt(dims[i].strip());
    }
    return spatial;
  }
}
