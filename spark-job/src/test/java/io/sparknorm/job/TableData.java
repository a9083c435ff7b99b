package io.sparknorm.job;

import io.sparknorm.spark.SparkTestSession;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The table tests' data: rows (id, features of 8 doubles) in one Parquet file, and the rows a table holds; and the
 * Delta session they run in.
 */
final class TableData {
  private TableData() {}

  static final int LENGTH = 8;

  /** {@code rows} rows with ids from {@code firstId}; the row at {@code nanRow} (or none, -1) holds a NaN at index 3. */
  static String parquet(SparkSession spark, Path file, int firstId, int rows, int nanRow) {
    List<Row> list = new ArrayList<>();
    for (int r = 0; r < rows; r++) {
      Double[] values = new Double[LENGTH];
      for (int i = 0; i < LENGTH; i++) {
        values[i] = r == nanRow && i == 3 ? Double.NaN : ((firstId + r) * 7 + i * i * 3) % 11 + 0.25 * i;
      }
      list.add(RowFactory.create(firstId + r, values));
    }
    spark.createDataFrame(list, new StructType().add("id", DataTypes.IntegerType)
        .add("features", DataTypes.createArrayType(DataTypes.DoubleType))).coalesce(1).write().parquet(file.toString());
    return file.toString();
  }

  /** Each row as "id:v1,v2,..", values as their exact bits (Double.toString round-trips), by id. */
  static List<String> rows(Dataset<Row> frame) {
    return frame.orderBy("id").collectAsList().stream().map(row -> {
      List<Object> values = row.getList(row.fieldIndex("features"));
      StringBuilder text = new StringBuilder(row.getAs("id").toString()).append(':');
      for (Object v : values) {
        text.append(v).append(',');
      }
      return text.toString();
    }).toList();
  }

  /** Drops every table and view of the current database: each test starts from an empty catalog. */
  static void dropAll(SparkSession spark) {
    for (Row table : spark.sql("SHOW TABLES").collectAsList()) {
      spark.sql("DROP " + (table.getBoolean(2) ? "VIEW " : "TABLE ") + table.getString(1));
    }
  }

  /**
   * A session of its own with Delta's extension and catalog (settings of a session's start) beside sparknorm's, its
   * warehouse in {@code warehouse}.
   */
  static SparkSession startDeltaSession(Path warehouse) {
    return SparkTestSession.start(Map.of(
        "spark.sql.extensions", DeltaLake.EXTENSION + ",io.sparknorm.sql.SparknormExtensions",
        "spark.sql.catalog.spark_catalog", DeltaLake.CATALOG,
        "spark.sql.warehouse.dir", warehouse.toString(),
        // One partition for the few rows of a small table's log (Delta's default: 50).
        "spark.databricks.delta.snapshotPartitions", "1"));
  }
}
