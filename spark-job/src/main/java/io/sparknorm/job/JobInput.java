package io.sparknorm.job;

import io.sparknorm.spark.NormalizeSpec;
import io.sparknorm.spark.TensorNormalization;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** The job's input: a path in a file format or a Delta table at a path ({@code --input}), or a catalog table. */
final class JobInput {
  private final String path;
  private final String table;
  private final String format;

  private JobInput(String path, String table, String format) {
    this.path = path;
    this.table = table;
    this.format = format;
  }

  /**
   * The input the options name, checked without reading data: that it exists, and for Delta that Delta is there.
   *
   * @throws IllegalArgumentException naming the input
   */
  static JobInput locate(JobOptions options, SparkSession spark, Configuration conf) throws IOException {
    if (options.inputTable != null) {
      if (!CatalogTables.exists(spark, options.inputTable)) {
        throw new IllegalArgumentException("input table " + options.inputTable + " does not exist");
      }
      return new JobInput(null, options.inputTable, null);
    }
    Path inputPath = new Path(options.input);
    if (!inputPath.getFileSystem(conf).exists(inputPath)) {
      throw new IllegalArgumentException("input " + options.input + " does not exist");
    }
    String format = options.inputFormat != null ? Formats.formatOf(options.inputFormat, "input-format", true)
        : Formats.fromExtension(options.input);
    if (format.equals("delta")) {
      DeltaLake.require(spark, "--input-format delta", DeltaLake.loader());
      if (!DeltaLake.isTable(inputPath, conf)) {
        throw new IllegalArgumentException("input " + options.input + " is not a Delta table (it has no _delta_log)");
      }
    }
    return new JobInput(options.input, null, format);
  }

  /** The file format, or null for a catalog table. */
  String format() {
    return format;
  }

  /**
   * The rows. A table's tensor column is checked on its schema here, before any data is read, so that its error
   * names the table.
   */
  Dataset<Row> read(SparkSession spark, NormalizeSpec spec) {
    if (table == null) {
      return Formats.read(spark, format, path);
    }
    Dataset<Row> data = spark.table(table);
    try {
      TensorNormalization.outputSchema(data.schema(), spec);
    } catch (IllegalArgumentException e) {
      if (String.valueOf(e.getMessage()).startsWith("column '")) {
        throw new IllegalArgumentException("input table " + table + ": " + e.getMessage(), e);
      }
      throw e;
    }
    return data;
  }

  /** The input's bytes for the summary's mb_per_s: the files, Delta's current version, a table's location; or 0. */
  long bytes(SparkSession spark, Configuration conf) throws IOException {
    if (table != null) {
      return CatalogTables.bytes(spark, table, conf);
    }
    if (format.equals("delta")) {
      return DeltaLake.bytes(spark, DeltaLake.atPath(path));
    }
    Path inputPath = new Path(path);
    return inputPath.getFileSystem(conf).getContentSummary(inputPath).getLength();
  }
}
