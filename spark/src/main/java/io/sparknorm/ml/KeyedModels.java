package io.sparknorm.ml;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparknorm.core.BatchStatistics;
import io.sparknorm.spark.KeyedStatistics;
import io.sparknorm.spark.StatisticsRows;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * What {@link TensorBatchNormModel} does with statistics per key: saves them as data and loads them
 * back, and checks a schema's key columns against the model's keys.
 *
 * <p>Saved as {@code PATH/keys}: Parquet, one row per key in key order, {@code key} the key as the
 * statistics file writes it (a JSON object of column to value, in the order of the key columns: a
 * string, an integer, a boolean or null) and {@code statistics} of {@code batch_norm_stats}'s struct
 * type ({@link StatisticsRows#schema()}), so a loaded model has the same bits per key.
 */
final class KeyedModels {
  /** The folder of the statistics per key, next to {@code data} (the statistics over all rows). */
  static final String KEYS = "keys";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final StructType SCHEMA = new StructType()
      .add("key", DataTypes.StringType, false)
      .add("statistics", StatisticsRows.schema(), false);

  private KeyedModels() {}

  static void save(SparkSession spark, KeyedStatistics keyed, String path) {
    List<Row> rows = new ArrayList<>();
    for (KeyedStatistics.Entry entry : keyed.entries()) {
      ObjectNode key = JSON.createObjectNode();
      for (int i = 0; i < keyed.keyColumns().size(); i++) {
        key.set(keyed.keyColumns().get(i), JSON.valueToTree(entry.key().get(i)));
      }
      rows.add(RowFactory.create(key.toString(), StatisticsRows.toRow(entry.statistics())));
    }
    spark.createDataFrame(rows, SCHEMA).coalesce(1).write().parquet(new Path(path, KEYS).toString());
  }

  /**
   * The statistics per key saved with the model at {@code path}, with {@code global} as those over all
   * rows; null for a model saved without keys. The key columns are those of the saved keys, or
   * {@code groupCols} when there are none.
   */
  static KeyedStatistics load(SparkSession spark, String path, BatchStatistics global, String[] groupCols) {
    Path folder = new Path(path, KEYS);
    try {
      if (!folder.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(folder)) {
        return null;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not read " + folder, e);
    }
    List<String> columns = null;
    List<KeyedStatistics.Entry> entries = new ArrayList<>();
    for (Row row : spark.read().parquet(folder.toString()).collectAsList()) {
      JsonNode key;
      try {
        key = JSON.readTree(row.<String>getAs("key"));
      } catch (IOException e) {
        throw new IllegalArgumentException(folder + ": key " + row.getAs("key") + " is not JSON", e);
      }
      List<String> names = new ArrayList<>();
      List<Object> values = new ArrayList<>();
      for (Iterator<String> it = key.fieldNames(); it.hasNext(); ) {
        String name = it.next();
        JsonNode value = key.get(name);
        names.add(name);
        values.add(value.isNull() ? null : value.isTextual() ? value.asText() : value.isBoolean()
            ? (Object) value.asBoolean() : (Object) value.asLong());
      }
      columns = columns == null ? names : columns;
      Row statistics = row.getStruct(row.fieldIndex("statistics"));
      entries.add(new KeyedStatistics.Entry(values, StatisticsRows.fromRow(statistics)));
    }
    return new KeyedStatistics(columns != null ? columns : List.of(groupCols), entries, global);
  }

  /**
   * Every key column of the schema can hold the model's keys: strings for a string column, booleans
   * for a boolean one, integers for an integer one. The library has checked the columns themselves.
   */
  static void checkKeyTypes(StructType schema, KeyedStatistics keyed) {
    for (int i = 0; i < keyed.keyColumns().size(); i++) {
      String column = keyed.keyColumns().get(i);
      StructField field = null;
      for (StructField f : schema.fields()) {
        if (f.name().equals(column) || field == null && f.name().equalsIgnoreCase(column)) {
          field = f;
        }
      }
      if (field == null) {
        continue;
      }
      DataType type = field.dataType();
      for (KeyedStatistics.Entry entry : keyed.entries()) {
        Object value = entry.key().get(i);
        boolean fits = value == null || (type instanceof StringType ? value instanceof String
            : type instanceof BooleanType ? value instanceof Boolean : value instanceof Long);
        if (!fits) {
          throw new IllegalArgumentException("groupCols: column '" + field.name() + "' is of type "
              + type.simpleString() + " but the model's key " + keyed.describe(entry.key()) + " is a "
              + (value instanceof String ? "string" : value instanceof Boolean ? "boolean" : "integer"));
        }
      }
    }
  }
}
