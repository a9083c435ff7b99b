package io.sparknorm.spark;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.ExactMoments;
import io.sparknorm.core.Shape;
import io.sparknorm.core.StatisticsException;
import io.sparknorm.sql.BatchNormStatsFunction;
import io.sparknorm.sql.SqlFunctions;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Observation;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;

/**
 * Batch norm's statistics in one pass: over the scan's columnar batches ({@link ColumnarStatistics})
 * or with the {@code batch_norm_stats} aggregate, the exact states merged, the result rounded.
 */
final class StatisticsFit {
  private StatisticsFit() {}

  /**
   * Batch norm's statistics over every valid row of the frame: one Spark job. With
   * {@code failOnInvalid} an invalid row (null included) fails it; else invalid rows are passed
   * over (they never feed the statistics).
   *
   * @throws IllegalArgumentException when no channel has more than one value (PyTorch's rule)
   */
  static BatchStatistics fit(Dataset<Row> frame, TensorColumn tensor, Shape shape,
      boolean failOnInvalid, FailureLocator.Context context, double scale) {
    return statisticsOf(states(frame, tensor, shape, failOnInvalid, context), shape, scale);
  }

  /**
   * {@link #fit} that also counts the rows its one pass read, valid or not: the columnar pass counts
   * them; the aggregate's plan gets a Spark {@link Observation} of its row count (its metrics come
   * from the successful attempt of each task, so a retried task counts once).
   */
  static CountedStatistics fitCountingRows(Dataset<Row> frame, TensorColumn tensor, Shape shape,
      boolean failOnInvalid, FailureLocator.Context context, double scale) {
    BatchNormStatsFunction function = function(tensor, shape, failOnInvalid, context);
    ColumnarStatistics.Pass columnar = ColumnarStatistics.read(frame.select(tensor.column()), function);
    if (columnar != null) {
      return new CountedStatistics(statisticsOf(columnar.states(), shape, scale), columnar.rows());
    }
    RowCount rows = new RowCount(frame);
    byte[] states = aggregated(rows.frame(), function, tensor);
    return new CountedStatistics(statisticsOf(states, shape, scale), rows.rows());
  }

  /**
   * The merged exact states ({@link ExactMoments#toBytes()}) of the tensor's valid rows, or null
   * for none: from the scan's columnar batches when the tensor comes straight from one
   * ({@link ColumnarStatistics}), else with the {@code batch_norm_stats} aggregate. The same bits
   * either way.
   */
  static byte[] states(Dataset<Row> frame, TensorColumn tensor, Shape shape, boolean failOnInvalid,
      FailureLocator.Context context) {
    BatchNormStatsFunction function = function(tensor, shape, failOnInvalid, context);
    ColumnarStatistics.Pass columnar = ColumnarStatistics.read(frame.select(tensor.column()), function);
    return columnar != null ? columnar.states() : aggregated(frame, function, tensor);
  }

  private static byte[] aggregated(Dataset<Row> frame, BatchNormStatsFunction function, TensorColumn tensor) {
    Row result = frame.agg(aggregate(function, tensor)).first();
    return result.isNullAt(0) ? null : result.getAs(0);
  }

  /** The aggregate of the exact states ({@link ExactMoments#toBytes()}) of the tensor's valid rows. */
  static Column statesColumn(TensorColumn tensor, Shape shape, boolean failOnInvalid,
      FailureLocator.Context context) {
    return aggregate(function(tensor, shape, failOnInvalid, context), tensor);
  }

  private static Column aggregate(BatchNormStatsFunction function, TensorColumn tensor) {
    return Columns.column(SqlFunctions.aggregate(function, Columns.expressions(tensor.column())));
  }

  static BatchNormStatsFunction function(TensorColumn tensor, Shape shape, boolean failOnInvalid,
      FailureLocator.Context context) {
    return new BatchNormStatsFunction(new DataType[] {tensor.reader().type()}, tensor.name(), tensor.reader(), shape,
        failOnInvalid, failOnInvalid, context).states();
  }

  /** The aggregate of exact states for a spec whose shape is set: for a caller that aggregates more in one pass. */
  static Column statesColumn(Dataset<Row> input, NormalizeSpec spec) {
    ResolvedSpec resolved = ResolvedSpec.of(input.schema(), spec);
    return statesColumn(resolved.tensor(), resolved.shape(), resolved.failOnInvalid(),
        resolved.context(resolved.shape()));
  }

  /** The statistics of aggregated states (null: no valid row) for a spec whose shape is set. */
  static BatchStatistics statisticsOf(byte[] states, NormalizeSpec spec) {
    return statisticsOf(states, spec.shape(), spec.statisticsScale());
  }

  /**
   * The statistics of aggregated states (null: no valid row), with PyTorch's rule of more than 1 value.
   *
   * @throws StatisticsException for at most one value per channel, or statistics beyond the range of double
   */
  static BatchStatistics statisticsOf(byte[] states, Shape shape, double scale) {
    ExactMoments moments = states == null ? new ExactMoments(shape) : ExactMoments.fromBytes(states);
    long count = moments.count();
    if (count <= 1) {
      throw StatisticsException.tooFewValues(count, "batch norm needs more than 1 value per channel, got " + count
          + (count == 0 ? " (no valid row)" : " (samples x spatial size)") + " for shape " + shape);
    }
    return of(moments, scale);
  }

  /** The statistics of exact moments; said to be {@code batch_norm_stats}' when they are beyond the range of double. */
  static BatchStatistics of(ExactMoments moments, double scale) {
    try {
      return moments.statistics(scale);
    } catch (StatisticsException e) {
      throw e.worded(BatchNormStatsFunction.NAME + ": " + e.getMessage());
    }
  }
}
