package io.sparknorm.bench;

import io.sparknorm.job.NormalizeJob;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The end-to-end benchmark: generates a dataset, then times, in one Spark session and alternating
 * round by round, the identity job (read and write Parquet), Spark ML's StandardScaler (fit,
 * transform, write), the job's batch, layer, instance and group norm (the real
 * {@link NormalizeJob} path: read, statistics, normalize, write, move into place) and layer norm
 * written as SQL ({@code sql}: {@code SELECT id, layer_norm(features, '64') AS features FROM t})
 * and through the DataFrame API ({@code api}: {@code io.sparknorm.sql.functions.layerNorm} in a
 * select), both written straight to Parquet, and normalization written by hand in Spark SQL without
 * sparknorm ({@code hand-layer}, {@code hand-batch}: {@link HandSql}, checked once against sparknorm's
 * functions on a few rows before the timing). Prints the medians and the ratios to identity and to
 * StandardScaler, SQL against the API, and sparknorm against the hand-written SQL. Run it with
 * {@code local-runner/bench}, which creates the session with
 * {@code spark.sql.extensions=io.sparknorm.sql.SparknormExtensions} (the SQL functions; the jobs sql
 * and api and the check of the hand-written SQL need it). {@code --generate-only} only writes the dataset, for
 * {@code local-runner/bench-submit}.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Times identity, StandardScaler, sparknorm's four methods, layer_norm in SQL and the"
        + " DataFrame API, and layer and batch norm written by hand in Spark SQL side by side.")
public final class JobBenchmark implements Callable<Integer> {

  @Option(names = "--rows", defaultValue = "1000000", description = "Rows to generate (default ${DEFAULT-VALUE}).")
  long rows;

  @Option(names = "--shape", defaultValue = "64", description = "Sample shape, e.g. 64 or 3,32,32 (default ${DEFAULT-VALUE}).")
  String shape;

  @Option(names = "--type", defaultValue = "double", description = "double or float (default ${DEFAULT-VALUE}).")
  String type;

  @Option(names = "--groups", defaultValue = "0", description = "G for group norm (default: C/2, or 1 when C = 1).")
  int groups;

  @Option(names = "--runs", defaultValue = "3", description = "Rounds; medians are reported (default ${DEFAULT-VALUE}).")
  int runs;

  @Option(names = "--warmup", defaultValue = "1",
      description = "Rounds run first and not counted: JIT and file cache warm for every job (default ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--jobs", split = ",",
      defaultValue = "identity,scaler,batch,layer,instance,group,sql,api,hand-layer,hand-batch",
      description = "Which jobs to time (default ${DEFAULT-VALUE}). sql and api are layer norm as"
          + " SELECT layer_norm(...) and as functions.layerNorm, written straight to Parquet; stats is batch norm's"
          + " statistics pass alone (--stats-only); read decodes the tensor column's batches and counts them;"
          + " hand-layer and hand-batch are layer norm (aggregate, transform) and batch norm (posexplode, GROUP BY,"
          + " transform with the index) written by hand in Spark SQL; hand-layer-cte is hand-layer as a CTE, whose"
          + " statistics Spark computes again for every element.")
  List<String> jobs;

  @Option(names = "--instance-shape", paramLabel = "C,D1[,..]",
      description = "Shape for instance norm only, the same number of values as --shape, e.g. 8,8 for 64"
          + " (default: --shape; instance norm is left out when that has no spatial size).")
  String instanceShape;

  @Option(names = "--dir", defaultValue = "target/bench", description = "Work folder (default ${DEFAULT-VALUE}).")
  String dir;

  @Option(names = "--double-rows", description = "Also time each job on twice the rows and report the ratio.")
  boolean doubleRows;

  @Option(names = "--partitions", defaultValue = "0", description = "Files of the generated data (default: 2 per 128 MB).")
  int partitions;

  @Option(names = "--parquet-codec", paramLabel = "CODEC",
      description = "Parquet compression for every job's output (spark.sql.parquet.compression.codec, e.g."
          + " uncompressed; default: Spark's, snappy). The generated input keeps Spark's default.")
  String parquetCodec;

  @Option(names = "--generate-only",
      description = "Only write the dataset (DIR/input-ROWSxSHAPE-TYPE.parquet, kept if already there) and stop.")
  boolean generateOnly;

  private static final List<String> KNOWN_JOBS = List.of("identity", "identity-plain", "read", "scaler", "batch",
      "layer", "instance", "group", "stats", "sql", "api", "hand-layer", "hand-layer-cte", "hand-batch");

  /** Rows of the check of the hand-written SQL against sparknorm, before the timing. */
  private static final long CHECK_ROWS = 2000;

  private SparkSession spark;

  public static void main(String[] args) {
    System.exit(new CommandLine(new JobBenchmark()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    spark = SparkSession.builder().appName("sparknorm bench").getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    int[] dims = Arrays.stream(shape.split(",")).map(String::strip).mapToInt(Integer::parseInt).toArray();
    int size = Arrays.stream(dims).reduce(1, (a, b) -> a * b);
    int channels = dims[0];
    int g = groups > 0 ? groups : channels % 2 == 0 ? channels / 2 : 1;
    boolean isDouble = type.equals("double");
    for (String job : jobs) {
      if (!KNOWN_JOBS.contains(job)) {
        throw new CommandLine.ParameterException(new CommandLine(this),
            "unknown job '" + job + "': choose among " + String.join(",", KNOWN_JOBS));
      }
    }
    int[] instanceDims = dims.length > 1 ? dims : null;
    if (instanceShape != null) {
      instanceDims = Arrays.stream(instanceShape.split(",")).map(String::strip).mapToInt(Integer::parseInt).toArray();
      if (Arrays.stream(instanceDims).reduce(1, (a, b) -> a * b) != size) {
        throw new CommandLine.ParameterException(new CommandLine(this),
            "--instance-shape " + instanceShape + " does not hold the " + size + " values of --shape " + shape);
      }
    }
    // sql and api call sparknorm's SQL functions; the hand-written SQL is checked against them.
    boolean needsExtension = jobs.stream()
        .anyMatch(job -> job.equals("sql") || job.equals("api") || job.startsWith("hand-"));
    if (!generateOnly && needsExtension) {
      BenchJobs.requireExtension(spark);
    }

    String input = dir + "/input-" + rows + "x" + shape.replace(',', 'x') + "-" + type + ".parquet";
    long bytes = BenchData.generate(spark, input, rows, size, isDouble, partitions);
    System.out.printf(Locale.ROOT, "data: %d rows of %s %s (%s), %.0f MB of Parquet at %s%n", rows, type,
        Arrays.toString(dims), "seeded uniform noise around per-element offsets", bytes / 1e6, input);
    System.out.printf(Locale.ROOT, "spark: %s, %s, Java %s, %d cores%n", spark.sparkContext().master(),
        spark.version(), System.getProperty("java.version"), Runtime.getRuntime().availableProcessors());
    if (generateOnly) {
      spark.stop();
      return 0;
    }

    if (jobs.stream().anyMatch(job -> job.startsWith("hand-"))) {
      // Close, not equal (in-order sums against exact ones): a bound far above their difference, far below an error.
      HandSql.check(spark, input, shape, size / channels, CHECK_ROWS, isDouble ? 1e-9 : 1e-5);
    }
    if (parquetCodec != null) {
      spark.conf().set("spark.sql.parquet.compression.codec", parquetCodec);
    }
    System.out.printf(Locale.ROOT, "output: Parquet with %s compression%n",
        spark.conf().get("spark.sql.parquet.compression.codec"));
    Map<String, List<Double>> times = time(input, dims, instanceDims, g);
    report(times, "");
    if (doubleRows) {
      String twice = dir + "/input-" + 2 * rows + "x" + shape.replace(',', 'x') + "-" + type + ".parquet";
      BenchData.generate(spark, twice, 2 * rows, size, isDouble, partitions);
      Map<String, List<Double>> twiceTimes = time(twice, dims, instanceDims, g);
      report(twiceTimes, " (" + 2 * rows + " rows)");
      System.out.println();
      System.out.println("| job | time for 2x rows / time for 1x rows |");
      System.out.println("| --- | --- |");
      for (String job : times.keySet()) {
        System.out.printf(Locale.ROOT, "| %s | %.2f |%n", job, median(twiceTimes.get(job)) / median(times.get(job)));
      }
    }
    spark.stop();
    return 0;
  }

  private Map<String, List<Double>> time(String input, int[] dims, int[] instanceDims, int g) throws Exception {
    Map<String, List<Double>> times = new LinkedHashMap<>();
    for (String job : jobs) {
      times.put(job, new ArrayList<>());
    }
    String shapeArg = shapeString(dims);
    int spatial = Arrays.stream(dims).reduce(1, (a, b) -> a * b) / dims[0];
    for (int round = 1 - warmup; round <= runs; round++) {
      for (String job : jobs) {
        if (job.equals("instance") && instanceDims == null) {
          continue; // S = 1: PyTorch refuses instance norm (give --instance-shape to run it)
        }
        String output = dir + "/out-" + job;
        long start = System.nanoTime();
        switch (job) {
          case "identity" -> BenchJobs.identity(spark, input, output, "parquet");
          case "identity-plain" -> BenchJobs.identityPlain(spark, input, output);
          case "read" -> BenchJobs.readTensors(spark, input);
          case "scaler" -> BenchJobs.standardScaler(spark, input, output);
          case "sql" -> BenchJobs.layerNormSql(spark, input, output, shapeArg);
          case "api" -> BenchJobs.layerNormApi(spark, input, output, shapeArg);
          case "hand-layer", "hand-layer-cte", "hand-batch" -> HandSql.run(spark, job, input, output, spatial);
          default -> {
            List<String> args = new ArrayList<>(List.of("--input", input, "--overwrite",
                "--method", job.equals("stats") ? "batch" : job,
                "--shape", job.equals("instance") ? shapeString(instanceDims) : shapeArg));
            // stats: batch norm's statistics pass alone (--stats-only), the part of batch that identity has not.
            args.addAll(job.equals("stats") ? List.of("--stats-only", "--stats-out", output + ".json")
                : List.of("--output", output));
            if (job.equals("group")) {
              args.addAll(List.of("--groups", String.valueOf(g)));
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int exit = NormalizeJob.run(args.toArray(new String[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
            if (exit != 0) {
              throw new IllegalStateException(job + " failed: " + err.toString(StandardCharsets.UTF_8));
            }
          }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (round >= 1) {
          times.get(job).add(seconds);
        }
        System.out.printf(Locale.ROOT, "%s %-14s %7.2f s%n", round >= 1 ? "round " + round : "warm-up", job, seconds);
      }
    }
    times.values().removeIf(List::isEmpty);
    return times;
  }

  private static String shapeString(int[] dims) {
    return String.join(",", Arrays.stream(dims).mapToObj(String::valueOf).toList());
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(Double::compare);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private void report(Map<String, List<Double>> times, String title) {
    double identity = times.containsKey("identity") ? median(times.get("identity")) : Double.NaN;
    double scaler = times.containsKey("scaler") ? median(times.get("scaler")) : Double.NaN;
    System.out.println();
    System.out.println("Medians of " + runs + " runs" + title + ":");
    System.out.println("| job | median s | runs (s) | x identity | x identity, paired | x StandardScaler |");
    System.out.println("| --- | ---: | --- | ---: | ---: | ---: |");
    for (Map.Entry<String, List<Double>> e : times.entrySet()) {
      double m = median(e.getValue());
      System.out.printf(Locale.ROOT, "| %s | %.2f | %s | %.2f | %.2f | %.2f |%n", e.getKey(), m,
          String.join(" ", e.getValue().stream().map(v -> String.format(Locale.ROOT, "%.1f", v)).toList()),
          m / identity, pairedRatio(e.getValue(), times.get("identity")), m / scaler);
    }
    if (times.containsKey("sql") && times.containsKey("api")) {
      System.out.printf(Locale.ROOT, "sql / api (SELECT layer_norm against functions.layerNorm): %.3f; paired %.3f%n",
          median(times.get("sql")) / median(times.get("api")), pairedRatio(times.get("sql"), times.get("api")));
    }
    for (String[] pair : new String[][] {{"layer", "hand-layer"}, {"sql", "hand-layer"}, {"api", "hand-layer"},
        {"batch", "hand-batch"}, {"hand-layer-cte", "hand-layer"}}) {
      if (times.containsKey(pair[0]) && times.containsKey(pair[1])) {
        System.out.printf(Locale.ROOT, "%s / %s (%s): %.3f; paired %.3f%n", pair[0], pair[1],
            pair[0].startsWith("hand-") ? "the hand-written CTE against the finish lambdas"
                : "sparknorm against the SQL written by hand",
            median(times.get(pair[0])) / median(times.get(pair[1])),
            pairedRatio(times.get(pair[0]), times.get(pair[1])));
      }
    }
    if (times.containsKey("identity-plain") && times.containsKey("read") && times.containsKey("identity")) {
      List<Double> floor = new ArrayList<>();
      for (int r = 0; r < times.get("read").size(); r++) {
        floor.add(times.get("identity-plain").get(r) + times.get("read").get(r));
      }
      System.out.printf(Locale.ROOT, "batch norm's floor, a second read of the tensors and a plain write (identity-plain"
          + " + read, no statistics, no normalization): %.2f x identity; paired %.2f%n", median(floor) / identity,
          pairedRatio(floor, times.get("identity")));
    }
    System.out.println("(paired: the median over rounds of the job's time over the other's in the same round,"
        + " which a drift of the machine's speed from round to round moves less than the ratio of medians)");
  }

  /** The median of job[r] / base[r] over the rounds r, or NaN without a base of as many rounds. */
  static double pairedRatio(List<Double> job, List<Double> base) {
    if (base == null || base.size() != job.size()) {
      return Double.NaN;
    }
    List<Double> ratios = new ArrayList<>();
    for (int r = 0; r < job.size(); r++) {
      ratios.add(job.get(r) / base.get(r));
    }
    return median(ratios);
  }
}
