package io.sparknorm.job;

import io.sparknorm.spark.NormalizeSpec;
import io.sparknorm.spark.StatisticsFiles;
import java.util.function.LongSupplier;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Where the stream job meets the running statistics of {@code --stream --method batch --momentum}: the foreachBatch
 * function of {@code RunningStatisticsBatches} (built on its own branch) and its counts for the progress lines.
 * Until that class is merged, {@link #BUILT} is false and the option is refused before any data is read; the merge
 * sets it and calls the class in {@link #start}.
 */
final class RunningBatches {
  private RunningBatches() {}

  static final boolean BUILT = false;

  /** The function and its counts: rows in the running statistics so far, micro-batches folded in so far. */
  record Handle(VoidFunction2<Dataset<Row>, Long> function, LongSupplier rowsSeen, LongSupplier batchesCommitted) {}

  static void checkBuilt() {
    if (!BUILT) {
      throw new IllegalArgumentException("--stream --method batch --momentum (running statistics) is not built yet;"
          + " give --stats-in FILE to normalize the stream with fixed statistics");
    }
  }

  static Handle start(JobOptions options, NormalizeSpec spec, StatisticsFiles.Contents statsIn, SparkSession spark,
      Configuration conf) {
    checkBuilt();
    // After the merge of RunningStatisticsBatches:
    // RunningStatisticsBatches f = RunningStatisticsBatches.start(options, spec, statsIn, spark, conf);
    // return new Handle(f, f::rowsSeen, f::batchesCommitted);
    throw new IllegalStateException("unreachable");
  }
}
