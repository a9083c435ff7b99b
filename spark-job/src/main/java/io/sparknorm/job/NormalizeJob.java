package io.sparknorm.job;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.NormalizationException;
import io.sparknorm.core.NormalizationException.Rule;
import io.sparknorm.core.NormMethod;
import io.sparknorm.core.Shape;
import io.sparknorm.spark.ColumnException;
import io.sparknorm.spark.JsonFiles;
import io.sparknorm.spark.MiniBatchReplay;
import io.sparknorm.spark.ReplayResult;
import io.sparknorm.spark.StatisticsFiles;
import io.sparknorm.spark.StatisticsProfiles;
import io.sparknorm.spark.StatisticsReport;
import io.sparknorm.spark.NormalizationResult;
import io.sparknorm.spark.NormalizeSpec;
import io.sparknorm.spark.TensorNormalization;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * The job: reads a dataset, normalizes one tensor column with batch, layer, instance or group
 * norm, and writes the result, exactly as {@code CONTRACT.md} says. Run it with
 * {@code spark-submit sparknorm-job.jar --input ... --output ... --method ...}.
 *
 * <p>Exit status: 0 on success, 1 when the job fails (bad data, I/O), 2 for a wrong command line,
 * 3 when {@code --fail-on-shift} finds the input shifted from {@code --shift-from}'s profile.
 * Every failure prints one {@code error:} line on standard error and leaves nothing at the output
 * path nor at the {@code --stats-out}, {@code --report} or {@code --profile-out} path (exit 3 keeps
 * {@code --shift-out}'s comparison).
 */
@Command(name = "sparknorm", mixinStandardHelpOptions = true, versionProvider = JobVersion.class,
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
        "  spark-submit sparknorm-job.jar --input data/new.jsonl --method batch --stats-only \\",
        "      --shift-from /tmp/digits-profile.json --shift-out /tmp/shift.json --fail-on-shift",
        "",
        "Exit status: 0 success, 1 failure (one 'error:' line on stderr, nothing left at the output), 2 usage,",
        "  3 --fail-on-shift: the input shifted from --shift-from's profile (one 'error:' line naming the worst",
        "  channel; nothing written but --shift-out)."})
public final class NormalizeJob implements Callable<Integer> {

  @Mixin
  JobOptions options = new JobOptions();

  private PrintStream out = System.out;
  private PrintStream err = System.err;

  /**
   * Runs the job: returns on success, exits the JVM with the status on a failure. Returning matters on YARN in
   * cluster mode, where the ApplicationMaster runs this main and takes an exit, even exit 0, for a failed attempt.
   */
  public static void main(String[] args) {
    int status = run(args, System.out, System.err);
    if (status != 0) {
      System.exit(status);
    }
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

  @Override
  public Integer call() {
    long start = System.nanoTime();
    JobOptions o = options;
    NormalizeSpec spec;
    try {
      spec = o.spec();
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      return 2;
    }
    if (!o.verbose) {
      JobLogging.quiet();
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
    if (!o.verbose) {
      spark.sparkContext().setLogLevel("WARN");
    }
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    if (o.stream.stream) {
      try {
        return new StreamJob(o, spec, spark, conf, out, err, start).call();
      } finally {
        if (ownSession) {
          spark.stop();
        }
      }
    }
    Progress progress = Progress.start(spark.sparkContext(), err, start, o.quiet);
    JobResults results = null;
    TableOutput table = null;
    Dataset<Row> data = null;
    Shape statsInShape = null;
    Runnable restoreConf = () -> { };
    try {
      // Where the results go is checked before any data is read: a folder the user may not write fails in seconds.
      table = TableOutput.of(o, spark, conf);
      if (table != null) {
        table.check();
      }
      results = JobResults.stage(o, conf);
      JobShift shift = JobShift.start(o.shift, spec, conf);
      if (o.affine != null) {
        spec.affine(JsonFiles.readAffine(o.affine, conf));
      }
      StatisticsFiles.Contents statsIn = null;
      if (o.statsIn != null) {
        statsIn = StatisticsFiles.read(o.statsIn, conf, "stats-in file");
        statsInShape = GivenStatistics.apply(o, spec, statsIn);
      }
      JobInput input = JobInput.locate(o, spark, conf);
      String inFormat = input.format();
      if (spec.shape() != null) {
        restoreConf = Formats.boundColumnarBatches(spark, spec.shape().size());
      }
      progress.stage(Progress.SCHEMA);
      data = input.read(spark, spec);
      boolean image = "image".equals(inFormat);
      if (image && spec.inputCols() == null && NormalizeSpec.DEFAULT_INPUT_COL.equals(spec.inputCol())) {
        spec.inputCol("image");
      }
      if (!o.statsOnly && Formats.formatOf(o.outputFormat, "output-format", false).equals("csv")) {
        Formats.checkCsvColumns(data, spec);
      }

      if (spec.shape() == null && (o.batchSize == null || o.shift.profiles())) {
        // The first valid row's length, in its own small job (the progress lines' stage "shape").
        progress.stage(Progress.SHAPE);
        spec.shape(TensorNormalization.shapeOf(data, spec));
      }
      // Batch norm's fit is the first full pass, before the write: the input's sketches are known before writing.
      boolean fitted = spec.method() == NormMethod.BATCH && o.statsIn == null && o.batchSize == null;
      if (shift.wanted()) {
        shift.checkShape(spec.shape());
        // Per key, and where the write is the commit and comes first, a pass of its own makes the profile.
        if (spec.by() != null || o.shift.failOnShift && table != null && !fitted) {
          progress.stage(Progress.PROFILE);
          shift.profiled(StatisticsProfiles.profile(data, spec));
          if (shift.failsGate()) {
            return refuse(shift, results, conf, progress);
          }
        }
      }
      if (spec.method() == NormMethod.BATCH) {
        progress.stage(Progress.STATISTICS);
      }
      InputSketches sketches = null;
      if (o.report != null || shift.wanted() && !shift.profiled()) {
        sketches = InputSketches.observe(data, spec, o.report != null);
        data = sketches.frame();
      }
      JobReport report = o.report == null ? null : JobReport.of(spec, sketches);
      // Batch norm's output histograms are its input's mapped by each channel's affine map; else sketched as written.
      boolean sketchOutput = report != null && (spec.method() != io.sparknorm.core.NormMethod.BATCH || spec.by() != null
          || o.batchSize != null);
      JobStatistics statistics;
      NormalizationResult.Counts counts;
      if (o.statsOnly && o.batchSize == null) {
        JobStatistics.Fitted fit = JobStatistics.fit(data, spec);
        statistics = fit.statistics();
        counts = fit.counts();
      } else {
        NormalizationResult result;
        if (o.batchSize != null) {
          ReplayResult replay = MiniBatchReplay.normalize(data, spec, o.batchSize, o.orderBy, o.momentumOrDefault());
          result = replay.result();
          Shape shape = result.shape();
          // PyTorch's count goes on from the state it starts from: loading a state dict sets num_batches_tracked.
          long batchesBefore = statsIn != null && statsIn.numBatchesTracked() != null ? statsIn.numBatchesTracked() : 0;
          statistics = JobStatistics.replayed(replay.running(), replay.rows() * (shape.size() / shape.channels()),
              o.batchSize, o.orderBy, o.momentumOrDefault(), batchesBefore);
        } else {
          result = TensorNormalization.normalize(data, spec);
          statistics = JobStatistics.of(result);
        }
        if (fitted && shift.wanted() && !shift.profiled()) {
          shift.profiled(sketches.sketches(), exact(statistics, o));
          if (shift.failsGate()) {
            return refuse(shift, results, conf, progress);
          }
        }
        progress.stage(o.statsOnly ? Progress.NORMALIZE : Progress.NORMALIZE_AND_WRITE);
        Dataset<Row> frame = result.countedFrame();
        if (sketchOutput) {
          frame = report.observeOutput(frame, result.outputCol());
        }
        if (o.statsOnly) {
          frame.write().format("noop").mode("overwrite").save();
        } else if (table != null) {
          table.write(frame, RunRecord.json(o, spec, result.shape()));
        } else {
          NormalizeSpec resolvedSpec = spec;
          Formats.write(frame, o.outputFormat, result.outputCol(), results.output(),
              () -> TensorEncoding.plainValues(resolvedSpec, o.batchSize != null, inFormat, o.input, conf));
        }
        counts = result.counts();
      }
      if (shift.wanted() && !shift.profiled()) {
        shift.profiled(sketches.sketches(), fitted ? exact(statistics, o) : null);
        if (shift.failsGate()) {
          return refuse(shift, results, conf, progress);
        }
      }
      if (results.stats() != null) {
        statistics.write(spec.eps(), image, results.stats(), conf);
      }
      shift.write(results.profile(), results.shift(), conf);
      double seconds = (System.nanoTime() - start) / 1e9;
      if (report != null) {
        report.write(new StatisticsReport.Run(o.inputName(), o.output != null ? o.output : o.outputTable, o.statsOut,
            counts, seconds), spec.inputCols(),
            o.batchSize != null ? null : statistics.overAllRows(), shift.forReport(), results.report(), conf);
      }
      results.commit();
      long rowsIn = counts.rowsIn();
      long inputBytes = input.bytes(spark, conf);
      out.printf(Locale.ROOT,
          "sparknorm: method=%s rows_in=%d rows_out=%d rows_skipped=%d invalid_kept=%d seconds=%.2f rows_per_s=%.0f mb_per_s=%.1f%s%n",
          spec.method().id(), rowsIn, o.statsOnly ? 0 : counts.rowsOut(), counts.rowsSkipped(), counts.rowsKeptInvalid(), seconds,
          rowsIn / seconds, inputBytes / 1e6 / seconds, shift.summary());
      return 0;
    } catch (Exception | LinkageError e) {
      // A commit that another job's beat has no row to locate.
      String message = table == null ? null : DeltaLake.conflict(e, table.what());
      if (message == null) {
        try {
          progress.stage(Progress.LOCATE);
          ColumnException located = TensorNormalization.locateFailure(e, data);
          message = FailureWording.worded(o, located != null ? located : FailureWording.find(e), spec, statsInShape);
          if (message == null) {
            message = located != null ? located.getMessage() : TensorNormalization.describeFailure(e, data);
          }
        } catch (RuntimeException again) {
          message = e.getMessage();
        }
      }
      progress.close();  // the error line is the last line
      err.println("error: " + message);
      if (o.verbose) {
        e.printStackTrace(err);
      }
      return 1;
    } finally {
      progress.close();
      restoreConf.run();
      if (results != null) {
        results.close();
      }
      if (table != null) {
        table.close();
      }
      if (ownSession) {
        spark.stop();
      }
    }
  }

  /** Batch norm's fitted statistics of the rows the input's sketches are of: not those of values divided by --scale. */
  private static BatchStatistics exact(JobStatistics statistics, JobOptions o) {
    return o.scale == null ? statistics.overAllRows() : null;
  }

  /**
   * {@code --fail-on-shift} stops the run: the comparison alone is committed (with --shift-out), the rest is
   * taken away as on any failure; one error line names the worst channel; exit 3.
   */
  private int refuse(JobShift shift, JobResults results, Configuration conf, Progress progress) throws IOException {
    shift.writeShift(results.shift(), conf);
    results.commitShiftOnly();
    progress.close();  // the error line is the last line
    err.println("error: " + shift.refusal());
    return 3;
  }
}
