package io.sparknorm.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The input of the tests where two jobs race for one output: {@link #ROWS} rows of {@link #SIZE} values computed from
 * the id, big enough that two jobs started together are still writing when the other commits; and the check that a
 * result holds the layer norm of those rows with one job's eps.
 */
final class RaceInput {
  static final int ROWS = 400_000;
  static final int SIZE = 16;

  private RaceInput() {}

  /** Writes the rows (id, features) as Parquet in 8 files at {@code file}. */
  static void write(SparkSession spark, Path file) {
    StringBuilder features = new StringBuilder("array(");
    for (int i = 0; i < SIZE; i++) {
      features.append(i == 0 ? "" : ", ").append("cast(id % ").append(97 + i).append(" AS DOUBLE) * ").append(i + 1);
    }
    spark.range(ROWS).selectExpr("id", features + ") AS features").repartition(8).write().parquet(file.toString());
  }

  /** Each row's features are the layer norm with {@code eps} of its id's values (within 1e-9). */
  static void assertLayerNorm(List<Row> rows, double eps) {
    for (Row row : rows) {
      long id = row.getLong(row.fieldIndex("id"));
      List<Double> got = row.getList(row.fieldIndex("features"));
      double[] x = new double[SIZE];
      double mean = 0;
      for (int i = 0; i < SIZE; i++) {
        x[i] = (double) (id % (97 + i)) * (i + 1);
        mean += x[i] / SIZE;
      }
      double var = 0;
      for (double v : x) {
        var += (v - mean) * (v - mean) / SIZE;
      }
      for (int i = 0; i < SIZE; i++) {
        assertEquals((x[i] - mean) / Math.sqrt(var + eps), got.get(i), 1e-9, "row " + id + " [" + i + "]");
      }
    }
  }
}
