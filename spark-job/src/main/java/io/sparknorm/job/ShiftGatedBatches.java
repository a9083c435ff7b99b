package io.sparknorm.job;

import io.sparknorm.core.ChannelSketches;
import io.sparknorm.core.Shape;
import io.sparknorm.spark.NormalizationResult;
import io.sparknorm.spark.NormalizeSpec;
import io.sparknorm.spark.SketchColumns;
import io.sparknorm.spark.TensorNormalization;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Observation;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import scala.concurrent.Await;
import scala.concurrent.duration.Duration;

/**
 * The {@code foreachBatch} function of a per-row stream (and batch norm with {@code --stats-in}) with
 * {@code --shift-from PROFILE --fail-on-shift}: each micro-batch's input compared with the profile BEFORE anything of
 * it is written. Micro-batch k: one aggregation gives its rows and the sketches of its valid rows; compared with the
 * profile ({@link StreamShift}); a shift that fails the gate fails the micro-batch here, so that it is not committed
 * and a restart with the same checkpoint runs it again; else its normalized rows are written once for batch id k
 * ({@link BatchOutput}, as running statistics write theirs).
 */
final class ShiftGatedBatches implements VoidFunction2<Dataset<Row>, Long> {
  private static final long serialVersionUID = 1L;
  /** How long the counts of a written micro-batch are waited for: Spark sets them as the write ends. */
  private static final long COUNTS_TIMEOUT_S = 10;

  private final transient JobOptions options;
  private final transient NormalizeSpec spec;
  private final transient Shape shape;
  private final transient StreamShift shift;
  private final transient BatchOutput output;
  private final transient Map<Long, RunningBatches.Counts> counts = new ConcurrentHashMap<>();

  private ShiftGatedBatches(JobOptions options, NormalizeSpec spec, Shape shape, StreamShift shift,
      BatchOutput output) {
    this.options = options;
    this.spec = spec;
    this.shape = shape;
    this.shift = shift;
    this.output = output;
  }

  /**
   * The function for the job's spec (its shape known) and options (the output, the checkpoint).
   *
   * @throws IllegalArgumentException for an output table that is not Delta, or Delta missing from the session
   */
  static ShiftGatedBatches start(JobOptions options, NormalizeSpec spec, Shape shape, StreamShift shift,
      SparkSession spark, Configuration conf) throws IOException {
    return new ShiftGatedBatches(options, spec, shape, shift, BatchOutput.forStream(options, spark, conf));
  }

  @Override
  public void call(Dataset<Row> batch, Long batchId) throws Exception {
    Row row = batch.agg(functions.count(functions.lit(1)).as("rows"),
        SketchColumns.ofInput(batch.schema(), spec, shape).as("sketches")).first();
    long rows = row.getLong(0);
    ChannelSketches sketches = row.isNullAt(1) ? null : ChannelSketches.fromBytes((byte[]) row.get(1));
    if (sketches != null && sketches.count() > 0 && shift.compare(batchId, sketches, null)) {
      throw new StreamShift.StopException(shift.stop());
    }
    NormalizationResult result = TensorNormalization.normalize(batch, spec);
    String outputCol = result.outputCol();
    Observation written = new Observation("sparknorm-written-" + batchId);
    Dataset<Row> frame = result.frame().observe(written, functions.count(functions.lit(1)).as("rows_out"),
        functions.count_if(functions.col("`" + outputCol + "`").isNull()).as("invalid_kept"));
    boolean wrote = output.write(frame, outputCol, batchId, RunRecord.json(options, spec, shape));
    counts.put(batchId, wrote ? counted(written, rows) : new RunningBatches.Counts(rows, rows, 0));
  }

  /**
   * The micro-batch's rows read, written and kept invalid; when the write ran no query (Delta found the batch
   * committed by an earlier run), its rows as read.
   */
  private RunningBatches.Counts counted(Observation written, long rows) throws InterruptedException {
    Row values;
    try {
      values = Await.result(written.future(), Duration.create(COUNTS_TIMEOUT_S, TimeUnit.SECONDS));
    } catch (java.util.concurrent.TimeoutException e) {
      return new RunningBatches.Counts(rows, rows, 0);
    }
    long out = ((Number) values.getAs("rows_out")).longValue();
    return new RunningBatches.Counts(rows, out, ((Number) values.getAs("invalid_kept")).longValue());
  }

  /** Micro-batch {@code batchId}'s counts, once, for its progress line and the summary; null before it is written. */
  RunningBatches.Counts counts(long batchId) {
    return counts.remove(batchId);
  }
}
