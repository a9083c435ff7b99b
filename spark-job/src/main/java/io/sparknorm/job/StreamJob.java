package io.sparknorm.job;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.NormMethod;
import io.sparknorm.core.Shape;
import io.sparknorm.spark.ColumnException;
import io.sparknorm.spark.JsonFiles;
import io.sparknorm.spark.NormalizationResult;
import io.sparknorm.spark.NormalizeSpec;
import io.sparknorm.spark.SketchColumns;
import io.sparknorm.spark.StatisticsFiles;
import io.sparknorm.spark.TensorNormalization;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.function.LongFunction;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkThrowable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.streaming.DataStreamWriter;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;

/**
 * The job with {@code --stream}: the input read as a stream, each micro-batch normalized and appended to the output
 * exactly once (Spark's checkpoint, the sink's commit), until the input has no more (available-now) or SIGTERM
 * (processing-time). Per-row methods and batch norm with fixed statistics run the library's normalization on the
 * streaming Dataset, as the batch job does on its Dataset; running statistics ({@code --momentum}) are a foreachBatch
 * function ({@link RunningBatches}), and so is a per-row stream with {@code --fail-on-shift} ({@link ShiftGatedBatches}),
 * so that a shifted micro-batch is stopped before it is written.
 *
 * <p>A failure in the first micro-batch of a new checkpoint leaves nothing: the output and the checkpoint this run
 * began are taken away. A failure later leaves the micro-batches committed before it; a restart with the same
 * checkpoint runs the failed micro-batch again.
 */
final class StreamJob {
  private final JobOptions o;
  private final NormalizeSpec spec;
  private final SparkSession spark;
  private final Configuration conf;
  private final PrintStream out;
  private final PrintStream err;
  private final long start;

  StreamJob(JobOptions o, NormalizeSpec spec, SparkSession spark, Configuration conf, PrintStream out, PrintStream err,
      long start) {
    this.o = o;
    this.spec = spec;
    this.spark = spark;
    this.conf = conf;
    this.out = out;
    this.err = err;
    this.start = start;
  }

  int call() {
    boolean running = o.momentum != null;
    Path checkpoint = new Path(o.stream.checkpoint);
    CheckpointLogs logs = new CheckpointLogs(checkpoint, conf);
    StreamSource source = null;
    StreamSink sink = null;
    StreamProgress listener = null;
    StreamingQuery query = null;
    StopOnSigterm stop = null;
    StreamShift shift = null;
    Shape statsInShape = null;
    boolean fresh = false;
    boolean checkpointExisted = true;
    boolean began = false;
    Runnable restoreConf = () -> { };
    try {
      if (o.affine != null) {
        spec.affine(JsonFiles.readAffine(o.affine, conf));
      }
      StatisticsFiles.Contents statsIn = null;
      if (o.statsIn != null) {
        statsIn = StatisticsFiles.read(o.statsIn, conf, "stats-in file");
        if (!running) {
          statsInShape = GivenStatistics.apply(o, spec, statsIn);
        }
      }
      shift = StreamShift.of(o, conf);
      sink = new StreamSink(o, spark, conf);
      source = StreamSource.locate(o, spark, conf, o.quiet ? null : err);
      Dataset<Row> data = source.stream(spark);
      if (sink.format().equals("csv")) {
        Formats.checkCsvColumns(data, spec);
      }
      Shape shape = shape(source);
      if (shift != null) {
        shift.checkShape(shape);
      }
      restoreConf = Formats.boundColumnarBatches(spark, shape.size());
      CheckpointRecord record = CheckpointRecord.of(o, spec, shape);
      boolean recorded = record.matches(checkpoint, conf);
      fresh = logs.latest("offsets") < 0;
      if (!recorded && !fresh) {
        throw new IllegalArgumentException("checkpoint " + checkpoint + " holds a stream that sparknorm did not record"
            + " (it has no " + CheckpointRecord.FILE + "): give a new --checkpoint");
      }
      sink.check(fresh, logs.hasCommits(), o.stream.checkpoint);

      String name = "sparknorm-" + UUID.randomUUID();
      DataStreamWriter<Row> writer;
      LongFunction<String> statsCount;
      String outputCol = null;
      RunningBatches.Handle handle = null;
      LongFunction<RunningBatches.Counts> counts = null;
      boolean gated = !running && shift != null && shift.failOnShift();
      if (running) {
        handle = RunningBatches.start(o, spec, statsIn, shift, spark, conf);
        writer = data.writeStream().foreachBatch(handle.function());
        RunningBatches.Handle h = handle;
        statsCount = id -> Long.toString(h.rowsAfter().applyAsLong(id));
        counts = handle.counts();
      } else if (gated) {
        // Compared before it is written, a shifted micro-batch is never committed (Spark's file sink would commit it
        // before its observed values are reported).
        ShiftGatedBatches batches = ShiftGatedBatches.start(o, spec, shape, shift, spark, conf);
        writer = data.writeStream().foreachBatch(batches);
        statsCount = statsCount(spec.statistics());
        counts = batches::counts;
      } else {
        // The input's sketches, observed as the micro-batch is written; Spark reports them with its progress.
        Dataset<Row> input = shift == null ? data : data.observe(StreamProgress.SHIFT_OBSERVED,
            SketchColumns.ofInput(data.schema(), spec, shape).as("sketches"));
        NormalizationResult result = TensorNormalization.normalize(input, spec);
        outputCol = result.outputCol();
        Dataset<Row> observed = result.frame().observe(StreamProgress.OBSERVED,
            functions.count(functions.lit(1)).as("rows_out"),
            functions.count_if(functions.col("`" + outputCol + "`").isNull()).as("invalid_kept"));
        writer = Formats.prepare(observed, sink.format(), outputCol).writeStream();
        statsCount = statsCount(result.statistics());
      }
      writer = writer.queryName(name).option("checkpointLocation", o.stream.checkpoint)
          .trigger(o.stream.sparkTrigger());
      listener = new StreamProgress(name, o.quiet ? null : err, source.files() ? logs : null, statsCount,
          counts, shift);
      spark.streams().addListener(listener);
      FileSystem fs = checkpoint.getFileSystem(conf);
      checkpointExisted = fs.exists(checkpoint);
      began = true;
      if (!recorded) {
        record.write(checkpoint, conf);
      }
      stop = o.stream.runsUntilStopped() ? StopOnSigterm.install() : null;
      if (running || gated) {
        query = writer.start();
      } else {
        String inFormat = source.format();
        query = sink.start(writer, outputCol, () -> TensorEncoding.plainValues(spec, false, inFormat, o.input, conf));
      }
      await(query, stop, shift);
      if (shift != null && shift.stop() != null) {
        throw new StreamShift.StopException(shift.stop());
      }
      if (shift != null && shift.failure() != null) {
        throw shift.failure();
      }
      long last = query.lastProgress() == null ? -1 : query.lastProgress().batchId();
      StreamProgress.Totals totals = listener.totals(last, 10_000);
      summary(totals);
      return 0;
    } catch (Exception | LinkageError e) {
      StreamShift.Stop shifted = shift == null ? null : shift.stop();
      String message = shifted != null ? shifted.message(shift.profileName())
          : shift != null && shift.failure() != null ? shift.failure().getMessage()
          : describe(e, source, logs, statsInShape);
      if (began && fresh && !committed(logs)) {
        if (query != null) {
          stopQuietly(query);
        }
        sink.removeIfBegan();
        removeQuietly(checkpoint, checkpointExisted);
      }
      err.println("error: " + message);
      if (o.verbose) {
        e.printStackTrace(err);
      }
      return shifted != null ? 3 : 1;
    } finally {
      if (stop != null) {
        stop.close();
      }
      if (query != null) {
        stopQuietly(query);
      }
      if (listener != null) {
        spark.streams().removeListener(listener);
      }
      restoreConf.run();
    }
  }

  /** The progress lines' stats_count of a per-row stream: the --stats-in statistics' count, else "-". */
  private LongFunction<String> statsCount(BatchStatistics statistics) {
    String count = spec.method() == NormMethod.BATCH && statistics != null ? Long.toString(statistics.count()) : "-";
    return id -> count;
  }

  /**
   * The sample shape: given, the --stats-in statistics', else that of the first valid row the input holds now (a
   * stream's shape is fixed at its start).
   */
  private Shape shape(StreamSource source) {
    if (spec.shape() == null) {
      Dataset<Row> present = source.present(spark);
      try {
        spec.shape(TensorNormalization.shapeOf(present, spec));
      } catch (RuntimeException e) {
        if (present.isEmpty()) {
          throw new IllegalArgumentException("input " + o.inputName() + " holds no rows yet to take a sample's shape"
              + " from: give --shape", e);
        }
        throw e;
      }
    }
    return spec.shape();
  }

  /**
   * Runs until the query ends (available-now), fails, SIGTERM asks for a stop after the current micro-batch, or a
   * micro-batch shifted with --fail-on-shift.
   */
  private static void await(StreamingQuery query, StopOnSigterm stop, StreamShift shift) throws Exception {
    while (!query.awaitTermination(200)) {
      if (shift != null && (shift.stop() != null || shift.failure() != null)) {
        query.stop();
        return;
      }
      if (stop != null && stop.requested()) {
        while (query.isActive() && query.status().isTriggerActive()) {
          Thread.sleep(20);
        }
        query.stop();
        return;
      }
    }
  }

  private boolean committed(CheckpointLogs logs) {
    try {
      return logs.hasCommits();
    } catch (IOException e) {
      return true;  // unknown: keep what is there
    }
  }

  private void summary(StreamProgress.Totals t) {
    long rowsOut = t.rowsOut();
    long kept = t.kept();
    double seconds = (System.nanoTime() - start) / 1e9;
    out.printf(Locale.ROOT, "sparknorm: method=%s rows_in=%d rows_out=%d rows_skipped=%d invalid_kept=%d seconds=%.2f"
        + " rows_per_s=%.0f mb_per_s=%.1f batches=%d%n", spec.method().id(), t.rowsIn(), rowsOut, t.rowsIn() - rowsOut,
        kept, seconds, t.rowsIn() / seconds, t.bytes() / 1e6 / seconds, t.batches());
  }

  /**
   * The error line: a rule broken by a row, found by reading the failed micro-batch's files again (its position in
   * them, or its --id-col value), with the micro-batch named; else the failure's own words.
   */
  private String describe(Throwable e, StreamSource source, CheckpointLogs logs, Shape statsInShape) {
    String batch = "";
    Dataset<Row> rows = null;
    try {
      if (e instanceof StreamingQueryException) {
        long failed = logs.latest("offsets");
        long committed = logs.latest("commits");
        if (failed > committed) {
          batch = " (micro-batch " + failed + (o.idCol == null ? ", rows counted from 0 in its input" : "")
              + (committed >= 0 ? "; the micro-batches before it stay committed" : "") + ")";
          if (source != null && source.files()) {
            List<String> files = logs.files(failed);
            rows = files.isEmpty() ? null : source.files(spark, files);
          }
        }
      }
      ColumnException located = TensorNormalization.locateFailure(e, rows);
      String raised = raised(e);
      if (located == null && raised != null && spec.by() != null && rows != null) {
        // A key without statistics, met in the stream: the batch path's search over the micro-batch names its row.
        try {
          TensorNormalization.normalize(rows, spec);
        } catch (ColumnException found) {
          located = found;
        }
      }
      if (located == null && raised != null) {
        return raised + batch;
      }
      String message = FailureWording.worded(o, located != null ? located : FailureWording.find(e), spec,
          statsInShape);
      if (message == null) {
        message = located != null ? located.getMessage() : TensorNormalization.describeFailure(e, rows);
      }
      return message + (located != null ? batch : "");
    } catch (IOException | RuntimeException again) {
      return String.valueOf(e.getMessage()).strip().lines().findFirst().orElse(e.getClass().getName());
    }
  }

  /** The message of an error a query raised itself ({@code raise_error}), without Spark's wrapping; or null. */
  private static String raised(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SparkThrowable spark && "USER_RAISED_EXCEPTION".equals(spark.getCondition())) {
        return spark.getMessageParameters().get("errorMessage");
      }
    }
    return null;
  }

  private static void stopQuietly(StreamingQuery query) {
    try {
      query.stop();
    } catch (Exception ignored) {
      // Stopping a failed or stopped query: nothing more to do.
    }
  }

  /** Takes away what this run wrote to the checkpoint: the folder, or what is in it when it was there before. */
  private void removeQuietly(Path path, boolean existed) {
    try {
      FileSystem fs = path.getFileSystem(conf);
      if (!existed) {
        fs.delete(path, true);
      } else if (fs.exists(path)) {
        for (var entry : fs.listStatus(path)) {
          fs.delete(entry.getPath(), true);
        }
      }
    } catch (IOException | RuntimeException ignored) {
      // The run fails either way.
    }
  }
}
