package io.sparknorm.job;

import io.sparknorm.core.Affine;
import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.NormMethod;
import io.sparknorm.core.Shape;
import io.sparknorm.spark.HandleInvalid;
import io.sparknorm.spark.JsonFiles;
import io.sparknorm.spark.NormalizationResult;
import io.sparknorm.spark.NormalizeSpec;
import io.sparknorm.spark.TensorNormalization;
import io.sparknorm.sql.BatchNormStatsFunction;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The job: reads a dataset, normalizes one tensor column with batch, layer, instance or group
 * norm, and writes the result, exactly as {@code CONTRACT.md} says. Run it with
 * {@code spark-submit sparknorm-job.jar --input ... --output ... --method ...}.
 *
 * <p>Exit status: 0 on success, 1 when the job fails (bad data, I/O), 2 for a wrong command line.
 * Every failure prints one {@code error:} line on standard error and leaves nothing at the output
 * path nor at the {@code --stats-out} path.
 */
@Command(name = "sparknorm", mixinStandardHelpOptions = true, version = "sparknorm 0.1.0",
    sortOptions = false, usageHelpWidth = 110,
    description = "Normalizes a tensor column of a dataset like torch.nn.functional's batch_norm, layer_norm,"
        + " instance_norm and group_norm.",
    footerHeading = "%nExamples:%n",
    footer = {
        "  spark-submit --master 'local[*]' sparknorm-job.jar --input data/digits.jsonl --output /tmp/digits-gn \\",
        "      --method group --shape 1,8,8 --groups 1",
        "  spark-submit sparknorm-job.jar --input data/wine.csv --input-cols alcohol,malic_acid,ash \\",
        "      --output /tmp/wine-bn --method batch --stats-out /tmp/wine-stats.json",
        "  spark-submit sparknorm-job.jar --input hdfs:///images.parquet --output hdfs:///out --method instance \\",
        "      --shape 3,32,32 --affine affine.json --handle-invalid skip --id-col id",
        "",
        "Exit status: 0 success, 1 failure (one 'error:' line on stderr, nothing left at the output), 2 usage."})
public final class NormalizeJob implements Callable<Integer> {

  @Option(names = "--input", required = true, paramLabel = "PATH",
      description = "File or folder on any Hadoop file system (file:, hdfs:, s3a:).")
  String input;

  @Option(names = "--input-format", paramLabel = "F",
      description = "parquet, json (JSON lines), csv (with header), orc, image. Default: from the extension, else parquet.")
  String inputFormat;

  @Option(names = "--output", required = true, paramLabel = "PATH",
      description = "Where the result goes; an existing path is an error unless --overwrite.")
  String output;

  @Option(names = "--output-format", paramLabel = "F", defaultValue = "parquet",
      description = "parquet, json, csv, orc (default: ${DEFAULT-VALUE}). CSV holds the tensor as JSON array text.")
  String outputFormat;

  @Option(names = "--input-col", paramLabel = "NAME", defaultValue = NormalizeSpec.DEFAULT_INPUT_COL,
      description = "The tensor column: an array of numbers or a Spark ML vector (default: ${DEFAULT-VALUE}).")
  String inputCol;

  @Option(names = "--input-cols", paramLabel = "A,B,..", split = ",",
      description = "Instead: scalar numeric columns assembled into the tensor, in that order.")
  List<String> inputCols;

  @Option(names = "--output-col", paramLabel = "NAME",
      description = "The normalized column (default: the input column, replaced).")
  String outputCol;

  @Option(names = "--method", required = true, paramLabel = "M", description = "batch, layer, instance or group.")
  String method;

  @Option(names = "--shape", paramLabel = "C[,D1,..]",
      description = "One sample's shape, channels first, e.g. 3,32,32. Default: (length of the first valid row,).")
  String shape;

  @Option(names = "--groups", paramLabel = "G", description = "Group count for group norm (required there).")
  Integer groups;

  @Option(names = "--eps", paramLabel = "E", defaultValue = "1e-5",
      description = "Added to the variance inside the square root (default: ${DEFAULT-VALUE}).")
  double eps;

  @Option(names = "--affine", paramLabel = "FILE",
      description = "JSON {\"weight\": [...], \"bias\": [...]}: C values (batch, instance, group) or the sample size (layer).")
  String affine;

  @Option(names = "--stats-out", paramLabel = "FILE", description = "Batch: write the fitted statistics here.")
  String statsOut;

  @Option(names = "--stats-in", paramLabel = "FILE",
      description = "Batch: normalize with these statistics (mean, var) instead of fitting.")
  String statsIn;

  @Option(names = "--handle-invalid", paramLabel = "H", defaultValue = "error",
      description = "error, skip or keep a row with a null tensor, a wrong length or a NaN/infinite value (default: ${DEFAULT-VALUE}).")
  String handleInvalid;

  @Option(names = "--id-col", paramLabel = "NAME", description = "A column whose value names a row in error messages.")
  String idCol;

  @Option(names = "--overwrite", description = "Replace an existing output.")
  boolean overwrite;

  @Option(names = "--verbose", description = "Keep Spark's INFO logging.")
  boolean verbose;

  private PrintStream out = System.out;
  private PrintStream err = System.err;

  /** Runs the job and exits the JVM with its status. */
  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs the job in this JVM; returns the exit status instead of exiting. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    NormalizeJob job = new NormalizeJob();
    job.out = out;
    job.err = err;
    CommandLine cli = new CommandLine(job);
    cli.setOut(new java.io.PrintWriter(out, true));
    cli.setErr(new java.io.PrintWriter(err, true));
    cli.setParameterExceptionHandler((e, a) -> {
      err.println("error: " + e.getMessage());
      err.println("Run with --help for the options and examples.");
      return 2;
    });
    cli.setExecutionExceptionHandler((e, c, p) -> {
      err.println("error: " + e.getMessage());
      return 1;
    });
    return cli.execute(args);
  }

  /** The options that need no data, checked before Spark starts. */
  private NormalizeSpec specFromOptions() {
    NormMethod normMethod = NormMethod.parse(method);
    NormalizeSpec spec = new NormalizeSpec(normMethod)
        .handleInvalid(HandleInvalid.parse(handleInvalid))
        .eps(eps)
        .outputCol(outputCol)
        .idCol(idCol);
    if (inputCols != null) {
      if (!NormalizeSpec.DEFAULT_INPUT_COL.equals(inputCol)) {
        throw new IllegalArgumentException("give either --input-col or --input-cols, not both");
      }
      spec.inputCols(inputCols.stream().map(String::strip).toList());
    } else {
      spec.inputCol(inputCol);
    }
    if (shape != null) {
      spec.shape(Shape.parse(shape));
    }
    if (normMethod == NormMethod.GROUP) {
      if (groups == null) {
        throw new IllegalArgumentException("--groups is required for group norm");
      }
      spec.groups(groups);
    } else if (groups != null) {
      throw new IllegalArgumentException("--groups is only for group norm, not " + normMethod.id());
    }
    if ((statsIn != null || statsOut != null) && normMethod != NormMethod.BATCH) {
      throw new IllegalArgumentException((statsIn != null ? "--stats-in" : "--stats-out")
          + " is only for batch norm, not " + normMethod.id());
    }
    Formats.formatOf(outputFormat, "output-format", false);
    return spec;
  }

  @Override
  public Integer call() {
    long start = System.nanoTime();
    NormalizeSpec spec;
    try {
      spec = specFromOptions();
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      return 2;
    }
    if (!verbose) {
      quietLogging();
    }
    // In a notebook, a test or a benchmark the session exists already: use it, and leave it running.
    SparkSession existing = SparkSession.getActiveSession().getOrElse(() -> SparkSession.getDefaultSession()
        .getOrElse(() -> null));
    boolean ownSession = existing == null;
    SparkSession spark = existing;
    if (ownSession) {
      SparkSession.Builder builder = SparkSession.builder().appName("sparknorm " + spec.method().id());
      if (System.getProperty("spark.master") == null) {
        builder.master("local[*]");
      }
      spark = builder.getOrCreate();
    }
    if (!verbose) {
      spark.sparkContext().setLogLevel("WARN");
    }
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Path outputPath = null;
    Path statsPath = null;
    StagedOutput stagedOutput = null;
    StagedOutput stagedStats = null;
    Dataset<Row> data = null;
    Shape statsInShape = null;
    try {
      outputPath = new Path(output);
      FileSystem outFs = outputPath.getFileSystem(conf);
      if (outFs.exists(outputPath) && !overwrite) {
        throw new IllegalArgumentException("output " + output + " already exists; give --overwrite to replace it");
      }
      if (statsOut != null) {
        statsPath = new Path(statsOut);
        if (statsPath.getFileSystem(conf).exists(statsPath) && !overwrite) {
          throw new IllegalArgumentException("stats-out " + statsOut + " already exists; give --overwrite to replace it");
        }
      }
      // Where the results go is checked before any data is read: a folder the user may not write fails in seconds.
      String unique = UUID.randomUUID().toString();
      stagedOutput = new StagedOutput(outputPath, unique, conf, "output " + output);
      stagedOutput.checkWritable();
      if (statsPath != null) {
        stagedStats = new StagedOutput(statsPath, unique, conf, "stats-out " + statsOut);
        stagedStats.checkWritable();
      }
      if (affine != null) {
        Affine parsed = JsonFiles.readAffine(affine, conf);
        spec.affine(parsed);
      }
      if (statsIn != null) {
        BatchStatistics given = JsonFiles.readStatistics(statsIn, conf, "stats-in file");
        statsInShape = given.shape();
        if (spec.shape() != null && spec.shape().channels() != statsInShape.channels()) {
          throw new IllegalArgumentException("stats-in file " + statsIn + " has statistics of " + statsInShape.channels()
              + " channels but --shape " + spec.shape() + " has " + spec.shape().channels());
        }
        spec.statistics(given);
      }
      Path inputPath = new Path(input);
      if (!inputPath.getFileSystem(conf).exists(inputPath)) {
        throw new IllegalArgumentException("input " + input + " does not exist");
      }
      String inFormat = inputFormat != null ? Formats.formatOf(inputFormat, "input-format", true) : Formats.fromExtension(input);
      if (spec.shape() != null) {
        Formats.boundColumnarBatches(spark, spec.shape().size());
      }
      data = Formats.read(spark, inFormat, input);
      if (inFormat.equals("image") && spec.inputCols() == null && NormalizeSpec.DEFAULT_INPUT_COL.equals(spec.inputCol())) {
        spec.inputCol("image");
      }

      String outFormat = Formats.formatOf(outputFormat, "output-format", false);
      if (outFormat.equals("csv")) {
        Formats.checkCsvColumns(data, spec);
      }
      NormalizationResult result = TensorNormalization.normalize(data, spec);
      // The counted frame: its row counts come from the write itself, exact even when tasks are retried.
      Dataset<Row> frame = result.countedFrame();
      if (outFormat.equals("csv")) {
        frame = Formats.forCsv(frame, result.outputCol());
      }
      var writer = frame.write().format(outFormat);
      if (outFormat.equals("csv")) {
        writer = writer.option("header", "true");
      }
      writer.save(stagedOutput.staging().toString());
      if (stagedStats != null) {
        JsonFiles.writeStatistics(result.statistics(), spec.eps(), stagedStats.staging(), conf);
      }
      // Success: move into place, the output first (of two jobs racing for it, the loser fails here).
      stagedOutput.commit(overwrite);
      if (stagedStats != null) {
        try {
          stagedStats.commit(overwrite);
        } catch (IOException | RuntimeException e) {
          stagedOutput.withdraw();
          throw e;
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      NormalizationResult.Counts counts = result.counts();
      long rowsIn = counts.rowsIn();
      long skipped = counts.rowsSkipped();
      long inputBytes = inputPath.getFileSystem(conf).getContentSummary(inputPath).getLength();
      out.printf(Locale.ROOT,
          "sparknorm: method=%s rows_in=%d rows_out=%d rows_skipped=%d invalid_kept=%d seconds=%.2f rows_per_s=%.0f mb_per_s=%.1f%n",
          spec.method().id(), rowsIn, rowsIn - skipped, skipped, counts.rowsKeptInvalid(), seconds, rowsIn / seconds,
          inputBytes / 1e6 / seconds);
      return 0;
    } catch (Exception | LinkageError e) {
      String message;
      try {
        message = data == null ? TensorNormalization.describeFailure(e, null) : TensorNormalization.describeFailure(e, data);
      } catch (RuntimeException again) {
        message = e.getMessage();
      }
      err.println("error: " + explained(message, spec, statsInShape));
      if (verbose) {
        e.printStackTrace(err);
      }
      return 1;
    } finally {
      if (stagedOutput != null) {
        stagedOutput.abort();
      }
      if (stagedStats != null) {
        stagedStats.abort();
      }
      if (ownSession) {
        spark.stop();
      }
    }
  }

  /**
   * What the library's message leaves for the job to say: of which column fitted batch statistics
   * overflowed, and where a shape that the data does not match came from when --stats-in gave it.
   */
  private String explained(String message, NormalizeSpec spec, Shape statsInShape) {
    String statsPrefix = BatchNormStatsFunction.NAME + ": ";
    if (message != null && message.startsWith(statsPrefix)) {
      // Valid rows hold finite values only and the sums are exact: statistics that are not finite overflowed.
      String column = spec.inputCols() != null ? String.join(",", spec.inputCols()) : spec.inputCol();
      return "column '" + column + "': batch norm statistics overflow the range of double ("
          + message.substring(statsPrefix.length()) + "): the exact variance of these values is beyond the largest"
          + " double (1.8e308); scale the data down";
    }
    if (message != null && statsInShape != null && shape == null
        && message.contains(" does not match shape " + statsInShape + " ")) {
      return message + "; shape " + statsInShape + " is that of --stats-in file " + statsIn;
    }
    return message;
  }

  private static void quietLogging() {
    try {
      org.apache.logging.log4j.core.config.Configurator.setRootLevel(org.apache.logging.log4j.Level.WARN);
      org.apache.logging.log4j.core.config.Configurator.setLevel("org.apache.spark", org.apache.logging.log4j.Level.WARN);
      // These repeat a failed task's exception with its stack trace several times over; the job's
      // own error line names the column, the row and the rule (--verbose shows them all).
      for (String logger : List.of("org.apache.spark.executor.Executor", "org.apache.spark.scheduler.TaskSetManager",
          "org.apache.spark.util.Utils", "org.apache.spark.sql.execution.datasources.FileFormatWriter",
          "org.apache.spark.sql.execution.datasources.FileFormatDataWriter")) {
        org.apache.logging.log4j.core.config.Configurator.setLevel(logger, org.apache.logging.log4j.Level.OFF);
      }
    } catch (LinkageError | RuntimeException e) {
      // Another logging backend: Spark's own configuration applies.
    }
  }
}
