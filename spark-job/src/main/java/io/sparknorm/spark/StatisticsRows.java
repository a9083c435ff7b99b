package io.sparknorm.spark;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.Shape;
import java.util.List;
import org.apache.spark.sql.Row;

/** {@code batch_norm_stats}'s struct, as Spark returns it to the driver, read into statistics. */
final class StatisticsRows {
  private StatisticsRows() {}

  static BatchStatistics fromRow(Row row) {
    List<Integer> dims = row.getList(row.fieldIndex("shape"));
    return new BatchStatistics(Shape.of(dims.stream().mapToInt(Integer::intValue).toArray()),
        row.getLong(row.fieldIndex("count")), doubles(row, "mean"), doubles(row, "mean_residual"),
        doubles(row, "var"), doubles(row, "var_unbiased"));
  }

  private static double[] doubles(Row row, String field) {
    List<Double> values = row.getList(row.fieldIndex(field));
    return values.stream().mapToDouble(Double::doubleValue).toArray();
  }
}
