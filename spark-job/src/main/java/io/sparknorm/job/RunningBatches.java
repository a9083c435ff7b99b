package io.sparknorm.job;

import io.sparknorm.spark.NormalizeSpec;
import io.sparknorm.spark.StatisticsFiles;
import io.sparknorm.spark.HandleInvalid;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongFunction;
import java.util.function.LongUnaryOperator;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Observation;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * Where the stream job meets the running statistics of {@code --stream --method batch --momentum}: the foreachBatch
 * function ({@link RunningStatisticsBatches}) and its counts for the progress lines and the summary.
 */
final class RunningBatches {
  private RunningBatches() {}

  /** One micro-batch's rows: read, written, invalid kept with a null result. */
  record Counts(long rowsIn, long rowsOut, long kept) {}

  /**
   * The function, its rows after each micro-batch (for the progress lines) and each micro-batch's counts (for the
   * summary: Spark's own input count adds up every pass of the function over the micro-batch).
   */
  record Handle(VoidFunction2<Dataset<Row>, Long> function, LongUnaryOperator rowsAfter,
      LongFunction<Counts> counts) {}

  /** The function; with {@code shift} (or null) each micro-batch is compared with the profile before it is written. */
  static Handle start(JobOptions options, NormalizeSpec spec, StatisticsFiles.Contents statsIn, StreamShift shift,
      SparkSession spark, Configuration conf) {
    RunningStatisticsBatches f = RunningStatisticsBatches.start(options, spec, statsIn, spark, conf).checking(shift);
    RunningStateStore store = new RunningStateStore(options.stream.checkpoint, conf);
    HandleInvalid handle = spec.handleInvalid();
    Map<Long, Counts> counts = new ConcurrentHashMap<>();
    VoidFunction2<Dataset<Row>, Long> counted = (batch, batchId) -> {
      long before = f.rowsSeen();
      // Every row is valid with error (an invalid one fails the micro-batch): the running statistics' rows count them.
      // Else the invalid rows are counted by an observation of the function's first pass over the micro-batch.
      Observation rows = handle == HandleInvalid.ERROR ? null : new Observation("sparknorm-rows-" + batchId);
      f.call(rows == null ? batch : batch.observe(rows, functions.count(functions.lit(1)).as("rows")), batchId);
      long valid = f.rowsSeen() - before;
      long read = rows == null ? valid : ((Number) rows.getAsJava().get("rows")).longValue();
      counts.put(batchId, new Counts(read, handle == HandleInvalid.SKIP ? valid : read,
          handle == HandleInvalid.KEEP ? read - valid : 0));
    };
    // The rows after a given micro-batch, from its state in the checkpoint: the function may be on the next one by now.
    return new Handle(counted, batchId -> {
      try {
        RunningState state = store.read(batchId);
        return state != null ? state.rows() : f.rowsSeen();
      } catch (java.io.IOException e) {
        return f.rowsSeen();
      }
    }, counts::remove);
  }
}
