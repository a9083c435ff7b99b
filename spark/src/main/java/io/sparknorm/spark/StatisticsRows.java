package io.sparknorm.spark;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.Shape;
import io.sparknorm.sql.StatisticsStruct;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;

/**
 * Batch statistics as an external Spark {@link Row} of {@code batch_norm_stats}'s struct type
 * ({@link StatisticsStruct#TYPE}): how the driver reads the aggregate's result, and how a saved
 * ML model keeps its statistics as data.
 *
 * <p>Internal: public only for {@code io.sparknorm.ml} (a model's persistence); not part of the API.
 */
public final class StatisticsRows {
  private StatisticsRows() {}

  /** The row type: {@code count, mean, var, var_unbiased, mean_residual, shape, algorithm}. */
  public static StructType schema() {
    return StatisticsStruct.TYPE;
  }

  public static BatchStatistics fromRow(Row row) {
    List<Integer> dims = row.getList(row.fieldIndex("shape"));
    return new BatchStatistics(Shape.of(dims.stream().mapToInt(Integer::intValue).toArray()),
        row.getLong(row.fieldIndex("count")), doubles(row, "mean"), doubles(row, "mean_residual"),
        doubles(row, "var"), doubles(row, "var_unbiased"),
        // Models saved before the field existed have none: unknown.
        Arrays.asList(row.schema().fieldNames()).contains("algorithm") ? row.getAs("algorithm") : null);
  }

  public static Row toRow(BatchStatistics statistics) {
    return RowFactory.create(statistics.count(), boxed(statistics.mean()), boxed(statistics.variance()),
        boxed(statistics.unbiasedVariance()), boxed(statistics.meanResidual()),
        Arrays.stream(statistics.shape().dims()).boxed().toList(), statistics.algorithm());
  }

  private static List<Double> boxed(double[] values) {
    return Arrays.stream(values).boxed().toList();
  }

  private static double[] doubles(Row row, String field) {
    List<Double> values = row.getList(row.fieldIndex(field));
    return values.stream().mapToDouble(Double::doubleValue).toArray();
  }
}
