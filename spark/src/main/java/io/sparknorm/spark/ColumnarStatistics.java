package io.sparknorm.spark;

import io.sparknorm.core.ExactMoments;
import io.sparknorm.sql.BatchNormStatsFunction;
import java.io.Serializable;
import java.util.Collections;
import java.util.Iterator;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.execution.ColumnarToRowExec;
import org.apache.spark.sql.execution.QueryExecution;
import org.apache.spark.sql.execution.SQLExecution$;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.WholeStageCodegenExec;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import scala.Option;

/**
 * Batch norm's statistics pass over Spark's columnar batches: when the tensor column comes
 * straight from a columnar scan (Parquet, ORC, a V2 source with columnar reads), the states are
 * updated from the scan's batches themselves. The row plan would first copy every tensor into an
 * {@code UnsafeRow} (element by element, generated code compiled for the query) and then run
 * Spark's object aggregate over those rows; here the tensors are read from the batch's column
 * vectors by the aggregate's own function ({@link BatchNormStatsFunction#update(ExactMoments,
 * ColumnarBatch, int)}: runs of valid arrays of doubles or floats a chunk at a time, straight from
 * the element vector), so the rules, the messages and the exact states are the same, bit for bit.
 *
 * <p>Spark offers columnar batches to extensions through its physical plan ({@link SparkPlan},
 * the developer API that {@code ColumnarRule}s work with). Any other plan (a computed tensor, a
 * row-based source such as JSON or CSV) gives null, and the caller runs the aggregate.
 */
final class ColumnarStatistics {
  /** How the pass is named in Spark's UI and event log (its SQL execution's description, its jobs' call site). */
  static final String DESCRIPTION = "batch_norm_stats at ColumnarStatistics.java";
  /** Spark's local property of the short call site ({@code CallSite.SHORT_FORM}). */
  private static final String CALL_SITE = "callSite.short";

  private ColumnarStatistics() {}

  /** What a pass gives: the rows it read (valid or not) and their merged states ({@link ExactMoments#toBytes()}). */
  record Pass(long rows, byte[] states) implements Serializable {
    private static final long serialVersionUID = 1L;

    Pass merge(Pass other) {
      return new Pass(rows + other.rows,
          ExactMoments.fromBytes(states).merge(ExactMoments.fromBytes(other.states)).toBytes());
    }
  }

  /**
   * The pass over the tensor column of {@code projected} (a frame of that one column) read from
   * columnar batches, or null when its plan has none.
   */
  static Pass read(Dataset<Row> projected, BatchNormStatsFunction function) {
    QueryExecution execution = ((org.apache.spark.sql.classic.Dataset<Row>) projected).queryExecution();
    SparkPlan scan = columnarScan(execution.executedPlan());
    if (scan == null) {
      return null;
    }
    Pass empty = new Pass(0, function.newAggregationState().toBytes());
    // One SQL execution, as the aggregate would be: the pass shows in Spark's SQL tab and event log
    // with the scan's metrics, described by a call site that says what it is.
    SparkContext context = projected.sparkSession().sparkContext();
    String callSite = context.getLocalProperty(CALL_SITE);
    context.setCallSite(DESCRIPTION);
    try {
      return SQLExecution$.MODULE$.withNewExecutionId(execution, Option.empty(), () -> scan.executeColumnar()
          .toJavaRDD()
          .mapPartitions(batches -> partitionState(batches, function))
          .fold(empty, Pass::merge));
    } finally {
      if (callSite == null) {
        context.clearCallSite();
      } else {
        context.setCallSite(callSite);
      }
    }
  }

  /** The columnar plan under the row conversion of a one-column plan, or null. */
  private static SparkPlan columnarScan(SparkPlan plan) {
    SparkPlan top = plan instanceof WholeStageCodegenExec stage ? stage.child() : plan;
    if (!(top instanceof ColumnarToRowExec toRows) || toRows.output().size() != 1) {
      return null;
    }
    SparkPlan child = toRows.child();
    return child.supportsColumnar() ? child : null;
  }

  private static Iterator<Pass> partitionState(Iterator<ColumnarBatch> batches, BatchNormStatsFunction function) {
    ExactMoments state = function.newAggregationState();
    long read = 0;
    while (batches.hasNext()) {
      ColumnarBatch batch = batches.next();
      state = function.update(state, batch, 0);
      read += batch.numRows();
    }
    return Collections.singletonList(new Pass(read, state.toBytes())).iterator();
  }
}
