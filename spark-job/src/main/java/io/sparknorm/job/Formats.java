package io.sparknorm.job;

import io.sparknorm.spark.NormalizeSpec;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.AtomicType;
import org.apache.spark.sql.types.StructField;

/** The job's file formats: names, reading, and what CSV can hold. */
final class Formats {
  private Formats() {}

  /**
   * CSV holds no arrays: every column but the tensor must be atomic. Checked on the schema, before
   * any data is read (batch norm's statistics included).
   */
  static void checkCsvColumns(Dataset<Row> data, NormalizeSpec spec) {
    for (StructField field : data.schema().fields()) {
      boolean tensor = spec.inputCols() == null && field.name().equalsIgnoreCase(spec.inputCol());
      if (!tensor && !(field.dataType() instanceof AtomicType)) {
        throw new IllegalArgumentException("column '" + field.name() + "' is of type " + field.dataType().simpleString()
            + ", which CSV cannot hold; choose --output-format parquet, json or orc");
      }
    }
  }

  /** CSV holds no arrays: the tensor becomes JSON array text. */
  static Dataset<Row> forCsv(Dataset<Row> frame, String tensorCol) {
    org.apache.spark.sql.Column tensor = functions.col("`" + tensorCol + "`");
    if (frame.schema().apply(tensorCol).dataType() instanceof org.apache.spark.ml.linalg.VectorUDT) {
      tensor = org.apache.spark.ml.functions.vector_to_array(tensor, "float64");
    }
    return frame.withColumn(tensorCol, functions.to_json(tensor));
  }

  static Dataset<Row> read(SparkSession spark, String format, String path) {
    var reader = spark.read().format(format);
    if (format.equals("csv")) {
      reader = reader.option("header", "true").option("inferSchema", "true");
    }
    return reader.load(path);
  }

  static String formatOf(String format, String option, boolean input) {
    String f = format.strip().toLowerCase(Locale.ROOT);
    List<String> allowed = input ? List.of("parquet", "json", "csv", "orc", "image") : List.of("parquet", "json", "csv", "orc");
    if (f.equals("jsonl")) {
      f = "json";
    }
    if (!allowed.contains(f)) {
      throw new IllegalArgumentException(option + " '" + format + "' is not one of " + String.join(", ", allowed));
    }
    return f;
  }

  static String fromExtension(String path) {
    String p = path.toLowerCase(Locale.ROOT);
    while (p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    if (p.endsWith(".json") || p.endsWith(".jsonl")) {
      return "json";
    }
    if (p.endsWith(".csv")) {
      return "csv";
    }
    if (p.endsWith(".orc")) {
      return "orc";
    }
    return "parquet";
  }

}
