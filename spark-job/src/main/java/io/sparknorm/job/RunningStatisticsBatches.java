package io.sparknorm.job;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.ChannelSketches;
import io.sparknorm.core.ExactMoments;
import io.sparknorm.core.NormMethod;
import io.sparknorm.core.Shape;
import io.sparknorm.core.StatisticsException;
import io.sparknorm.spark.NormalizationResult;
import io.sparknorm.spark.NormalizeSpec;
import io.sparknorm.spark.SketchColumns;
import io.sparknorm.spark.StatisticsFiles;
import io.sparknorm.spark.TensorNormalization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The {@code foreachBatch} function of {@code --stream --method batch --momentum M|none}: batch norm's training mode
 * with each micro-batch as one mini-batch, as PyTorch's {@code F.batch_norm(x, running_mean, running_var, training=True,
 * momentum=M)} called once per micro-batch.
 *
 * <p>Micro-batch k:
 * <ol>
 *   <li>its rows are normalized with ITS OWN exact statistics (mean and biased variance per channel, the same exact
 *       aggregation as the batch job's: the same bits for any partitioning);
 *   <li>the running statistics move from the state after batch k - 1 as the {@code --batch-size} replay moves them:
 *       {@code running = M * batch + (1 - M) * running} with the batch's UNBIASED variance, {@code num_batches_tracked
 *       + 1}; they start from {@code --stats-in} (its {@code running_mean}/{@code running_var}, else {@code mean}/{@code
 *       var}, and its {@code num_batches_tracked}), else at 0 and 1 like a new PyTorch module. With momentum
 *       {@code none} they are the EXACT mean and unbiased variance of every valid row seen so far (PyTorch's
 *       momentum=None averages the batches' statistics instead; here nothing is averaged or rounded until the end),
 *       starting from the {@code count}, {@code mean} and {@code var_unbiased} (else {@code var}) of {@code --stats-in}
 *       taken as exact;
 *   <li>the output is written once for batch id k ({@link BatchOutput}: {@code <output>/batch_id=<k>/} for files,
 *       so that Spark reads {@code <output>} back with every row once and a {@code batch_id} column; Delta's
 *       idempotent append for Delta);
 *   <li>the state after k goes into the checkpoint under k ({@link RunningStateStore}), then {@code --stats-out} is
 *       rewritten whole with the running statistics, {@code batch_id} and {@code rows_seen}.
 * </ol>
 * Spark runs a batch that did not commit again with the same id and rows: its output is found complete (or skipped by
 * Delta), its state recomputed from k - 1 to the same bits. So after a restart the statistics go on exactly where the
 * last committed batch left them.
 *
 * <p>A micro-batch without a valid row changes nothing (PyTorch would fail on 0 rows): state k is state k - 1. One
 * with a single value per channel fails, as PyTorch does. Invalid rows follow {@code --handle-invalid} as in the batch
 * job: {@code skip} leaves them out of the statistics and the output, {@code keep} writes them with a null result,
 * {@code error} fails the batch.
 */
final class RunningStatisticsBatches implements VoidFunction2<Dataset<Row>, Long> {
  private static final long serialVersionUID = 1L;

  private final transient JobOptions options;
  private final transient NormalizeSpec spec;
  private final transient Configuration conf;
  private final transient RunningStateStore store;
  private final transient BatchOutput output;
  private final Double momentum;
  /** The running state to start from, once the sample shape is known. */
  private final transient Function<Shape, RunningState> start;
  /** With --shift-from: each micro-batch compared with the profile before it is written; else null. */
  private transient StreamShift shift;
  private final AtomicLong rowsSeen = new AtomicLong();
  private final AtomicLong batchesCommitted = new AtomicLong();

  private RunningStatisticsBatches(JobOptions options, NormalizeSpec spec, Configuration conf, RunningStateStore store,
      BatchOutput output, Double momentum, Function<Shape, RunningState> start) {
    this.options = options;
    this.spec = spec;
    this.conf = conf;
    this.store = store;
    this.output = output;
    this.momentum = momentum;
    this.start = start;
  }

  /**
   * The function for the options ({@code output}/{@code outputTable}/{@code outputFormat}, {@code checkpoint},
   * {@code statsOut}, the momentum) and the job's spec (batch norm; its shape, affine, eps, columns, handle-invalid):
   * checks what needs no data, takes away staging folders a killed run left in the output, and picks up the counts of
   * the checkpoint's last committed batch.
   *
   * @param statsIn the {@code --stats-in} file, or null
   * @throws IllegalArgumentException naming the option that breaks a rule
   */
  static RunningStatisticsBatches start(JobOptions options, NormalizeSpec spec, StatisticsFiles.Contents statsIn,
      SparkSession spark, Configuration conf) {
    if (spec.method() != NormMethod.BATCH) {
      throw new IllegalArgumentException("--momentum with --stream is for batch norm only, not " + spec.method().id());
    }
    if (spec.by() != null) {
      throw new IllegalArgumentException("--by and --momentum do not go together: a stream keeps one set of running"
          + " statistics");
    }
    if (options.stream.checkpoint == null) {
      throw new IllegalArgumentException("--stream needs --checkpoint DIR: the running statistics are kept there");
    }
    Double momentum = options.runningMomentum();
    if (momentum != null && !(momentum >= 0 && momentum <= 1)) {
      throw new IllegalArgumentException("--momentum is " + momentum + ", must be in [0, 1] or none");
    }
    try {
      RunningStateStore store = new RunningStateStore(options.stream.checkpoint, conf);
      BatchOutput output = BatchOutput.forStream(options, spark, conf);
      RunningStatisticsBatches batches = new RunningStatisticsBatches(options, spec, conf, store, output, momentum,
          startingPoint(options.statsIn, statsIn, momentum, spec.shape()));
      batches.resume();
      return batches;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Compares each micro-batch with the profile (null: none) before it is written. */
  RunningStatisticsBatches checking(StreamShift shift) {
    this.shift = shift;
    return this;
  }

  /** Where the running statistics start, for the sample shape (known at the latest with the first valid row). */
  private static Function<Shape, RunningState> startingPoint(String name, StatisticsFiles.Contents file,
      Double momentum, Shape given) {
    if (file == null) {
      return shape -> RunningState.fresh(shape, momentum);
    }
    String prefix = "stats-in file " + name + ": ";
    long batches = file.numBatchesTracked() != null ? file.numBatchesTracked() : 0;
    Shape stated = file.shape();
    if (stated != null && stated.dims().length > 1 && given != null && !stated.equals(given)) {
      throw new IllegalArgumentException(prefix + "shape is " + stated + ", but --shape is " + given);
    }
    BatchStatistics statistics = file.statistics();
    int channels = file.runningMean() != null ? file.runningMean().length : statistics != null
        ? statistics.shape().channels() : -1;
    if (channels < 0) {
      throw new IllegalArgumentException(prefix + "the key 'mean' is missing");
    }
    if (given != null && given.channels() != channels) {
      throw new IllegalArgumentException("stats-in file " + name + " has statistics of " + channels
          + " channels but --shape " + given + " has " + given.channels());
    }
    Function<Shape, Shape> checked = shape -> {
      if (shape.channels() != channels) {
        throw new IllegalArgumentException("stats-in file " + name + " has statistics of " + channels
            + " channels but the rows have shape " + shape);
      }
      return shape;
    };
    if (momentum == null) {
      if (statistics == null || statistics.count() < 2) {
        throw new IllegalArgumentException(prefix + "--momentum none goes on from the exact statistics of the values"
            + " the file summarizes: it needs their count (at least 2), mean and var");
      }
      boolean unbiased = Arrays.stream(statistics.unbiasedVariance()).noneMatch(Double::isNaN);
      return shape -> RunningState.startingAt(ExactMoments.ofStatistics(checked.apply(shape), statistics.count(),
          statistics.mean(), statistics.meanResidual(), unbiased ? statistics.unbiasedVariance()
          : statistics.variance(), unbiased), batches);
    }
    boolean running = file.runningMean() != null && file.runningVar() != null;
    double[] mean = running ? file.runningMean() : statistics.mean();
    double[] var = running ? file.runningVar() : statistics.variance();
    return shape -> RunningState.startingAt(checked.apply(shape), momentum, mean, var, batches);
  }

  /** The counts of the last committed batch's state, for a query that goes on from a checkpoint. */
  private void resume() throws IOException {
    Path commits = new Path(new Path(options.stream.checkpoint), "commits");
    org.apache.hadoop.fs.FileSystem fs = commits.getFileSystem(conf);
    if (!fs.exists(commits)) {
      return;
    }
    long last = -1;
    for (org.apache.hadoop.fs.FileStatus entry : fs.listStatus(commits)) {
      String name = entry.getPath().getName();
      if (name.matches("\\d{1,19}")) {
        last = Math.max(last, Long.parseLong(name));
      }
    }
    RunningState state = last < 0 ? null : store.read(last);
    if (state != null) {
      rowsSeen.set(state.rows());
      batchesCommitted.set(last + 1);
    }
  }

  @Override
  public void call(Dataset<Row> batch, Long batchId) throws IOException {
    RunningState before = store.before(batchId);
    if (before != null && !Objects.equals(before.momentum(), momentum)) {
      throw new IllegalStateException("the checkpoint " + options.stream.checkpoint
          + " holds running statistics made with --momentum " + describe(before.momentum()) + ", not "
          + describe(momentum) + "; give the same --momentum or start a new --checkpoint");
    }
    if (before != null && before.started() && spec.shape() != null && !before.shape().equals(spec.shape())) {
      throw new IllegalStateException("the checkpoint " + options.stream.checkpoint
          + " holds running statistics of shape " + before.shape() + ", not " + spec.shape()
          + "; start a new --checkpoint");
    }
    // The micro-batch is read twice, by the statistics and by the write: cheaper than caching it in between.
    Shape shape = before != null && before.started() ? before.shape() : shapeOf(batch);
    RunningState after = before != null && before.started() ? before
        : shape != null ? start.apply(shape) : RunningState.notStarted(momentum);
    if (shape != null) {
      ExactMoments moments = TensorNormalization.fitMoments(batch, spec(shape, null));
      long validRows = moments.count() / (shape.size() / shape.channels());
      BatchStatistics statistics = placeholder(shape);
      if (validRows > 0) {
        statistics = statistics(moments, batchId);
        after = after.after(moments, statistics, validRows);
      }
      if (shift != null && validRows > 0) {
        compare(batch, shape, statistics, batchId);
      }
      NormalizationResult result = TensorNormalization.normalize(batch, spec(shape, statistics));
      output.write(result.frame(), result.outputCol(), batchId, RunRecord.json(options, spec, shape));
    }
    store.write(batchId, after);
    if (options.statsOut != null && after.started()) {
      RunningState written = after;
      RunningStateStore.replace(new Path(options.statsOut), conf,
          file -> JobStatistics.streamed(written, batchId).write(spec.eps(), false, file, conf));
    }
    rowsSeen.set(after.rows());
    batchesCommitted.set(batchId + 1);
  }

  /**
   * The micro-batch's valid rows against the profile, before anything of it is written: a shift that stops the stream
   * (--fail-on-shift) fails the micro-batch here, so that it is not committed. The sketches take one more pass over
   * the micro-batch (its statistics' pass reads its columns straight from the files).
   */
  private void compare(Dataset<Row> batch, Shape shape, BatchStatistics statistics, long batchId) throws IOException {
    Row row = batch.agg(SketchColumns.ofInput(batch.schema(), spec(shape, null), shape)).first();
    if (!row.isNullAt(0) && shift.compare(batchId, ChannelSketches.fromBytes((byte[]) row.get(0)), statistics)) {
      throw new StreamShift.StopException(shift.stop());
    }
  }

  /** The rows in the running statistics so far (valid rows of the stream; a --stats-in start's are not counted). */
  long rowsSeen() {
    return rowsSeen.get();
  }

  /** The micro-batches done so far: the last one's id + 1 (empty ones included). */
  long batchesCommitted() {
    return batchesCommitted.get();
  }

  /** The shape given, else that of the first valid row; null when the micro-batch has no row. */
  private Shape shapeOf(Dataset<Row> data) {
    if (spec.shape() != null) {
      return spec.shape();
    }
    if (data.isEmpty()) {
      return null;
    }
    return TensorNormalization.shapeOf(data, spec(null, null));
  }

  /** PyTorch's rule for one mini-batch: more than one value per channel. */
  private BatchStatistics statistics(ExactMoments moments, long batchId) {
    try {
      return moments.statistics();
    } catch (StatisticsException e) {
      if (moments.count() > 1) {
        throw e;
      }
      String column = spec.inputCols() != null ? String.join(",", spec.inputCols()) : spec.inputCol();
      throw new IllegalArgumentException("column '" + column + "': micro-batch " + batchId + " has 1 value per channel;"
          + " batch norm in training mode needs more than 1 (PyTorch: Expected more than 1 value per channel when"
          + " training)", e);
    }
  }

  /** Statistics for a micro-batch without a valid row: no row is normalized with them. */
  private static BatchStatistics placeholder(Shape shape) {
    double[] ones = new double[shape.channels()];
    Arrays.fill(ones, 1.0);
    return new BatchStatistics(shape, 0, new double[shape.channels()], ones, ones);
  }

  /** The job's spec with this shape and, to normalize, these statistics (null: to fit). */
  private NormalizeSpec spec(Shape shape, BatchStatistics statistics) {
    NormalizeSpec copy = new NormalizeSpec(NormMethod.BATCH).handleInvalid(spec.handleInvalid()).eps(spec.eps())
        .affine(spec.affine()).idCol(spec.idCol()).shape(shape).outputCol(spec.outputCol()).statistics(statistics);
    return spec.inputCols() != null ? copy.inputCols(spec.inputCols()) : copy.inputCol(spec.inputCol());
  }

  private static String describe(Double momentum) {
    return momentum == null ? "none" : momentum.toString();
  }
}
