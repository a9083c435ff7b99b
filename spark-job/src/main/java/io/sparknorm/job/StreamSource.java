package io.sparknorm.job;

import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.DataStreamReader;
import org.apache.spark.sql.types.StructType;

/**
 * The stream's input: a folder that files arrive in (parquet, json, csv, orc), a Delta table at a path, or a Delta
 * table of the catalog. A file source's schema is {@code --schema}, else inferred once, by a batch read of the files
 * present, and stated on standard error: a stream's schema is fixed at its start.
 */
final class StreamSource {
  static final String SCHEMA_LINE = "sparknorm: schema (inferred from the files in %s; pin it with --schema): %s";

  private final String path;
  private final String table;
  /** parquet, json, csv, orc, or delta; null for a catalog table. */
  private final String format;
  /** The file source's schema; null for Delta. */
  private final StructType schema;
  private final Integer maxFilesPerTrigger;

  private StreamSource(String path, String table, String format, StructType schema, Integer maxFilesPerTrigger) {
    this.path = path;
    this.table = table;
    this.format = format;
    this.schema = schema;
    this.maxFilesPerTrigger = maxFilesPerTrigger;
  }

  /**
   * The input the options name, checked, with its schema. {@code err}, when not null, gets the inferred schema's line.
   *
   * @throws IllegalArgumentException naming the input
   */
  static StreamSource locate(JobOptions o, SparkSession spark, Configuration conf, PrintStream err)
      throws IOException {
    Integer maxFiles = o.stream.maxFilesPerTrigger;
    if (o.inputTable != null) {
      if (!CatalogTables.exists(spark, o.inputTable)) {
        throw new IllegalArgumentException("input table " + o.inputTable + " does not exist");
      }
      return new StreamSource(null, o.inputTable, null, null, maxFiles);
    }
    Path input = new Path(o.input);
    FileSystem fs = input.getFileSystem(conf);
    if (!fs.exists(input)) {
      throw new IllegalArgumentException("input " + o.input + " does not exist");
    }
    String format = o.inputFormat != null ? Formats.formatOf(o.inputFormat, "input-format", true)
        : Formats.fromExtension(o.input);
    if (format.equals("delta")) {
      DeltaLake.require(spark, "--input-format delta", DeltaLake.loader());
      if (!DeltaLake.isTable(input, conf)) {
        throw new IllegalArgumentException("input " + o.input + " is not a Delta table (it has no _delta_log)");
      }
      return new StreamSource(o.input, null, format, null, maxFiles);
    }
    if (!fs.getFileStatus(input).isDirectory()) {
      throw new IllegalArgumentException("input " + o.input + " is a file: --stream reads a folder, and each file that"
          + " arrives in it once");
    }
    StructType schema = o.stream.parsedSchema();
    if (schema == null) {
      try {
        schema = Formats.read(spark, format, o.input).schema();
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("input " + o.input + " holds no " + format + " files to infer the stream's"
            + " schema from: give --schema DDL (such as 'id BIGINT, features ARRAY<DOUBLE>')", e);
      }
      if (err != null) {
        err.println(String.format(SCHEMA_LINE, o.input, schema.toDDL()));
      }
    }
    return new StreamSource(o.input, null, format, schema, maxFiles);
  }

  /** Whether the input is a folder of files (whose micro-batches the checkpoint's source log lists). */
  boolean files() {
    return schema != null;
  }

  /** The file format, or null for a catalog table. */
  String format() {
    return format;
  }

  /** The input as a streaming Dataset. */
  Dataset<Row> stream(SparkSession spark) {
    DataStreamReader reader = spark.readStream();
    if (maxFilesPerTrigger != null) {
      reader = reader.option("maxFilesPerTrigger", maxFilesPerTrigger.toString());
    }
    if (table != null) {
      return reader.table(table);
    }
    if (schema == null) {
      return reader.format("delta").load(path);
    }
    if (format.equals("csv")) {
      reader = reader.option("header", "true");
    }
    return reader.format(format).schema(schema).load(path);
  }

  /** What the input holds now, as a batch Dataset: where a sample's shape comes from when nothing gives it. */
  Dataset<Row> present(SparkSession spark) {
    if (table != null) {
      return spark.table(table);
    }
    if (schema == null) {
      return spark.read().format("delta").load(path);
    }
    return files(spark, List.of(path));
  }

  /** These files of the input as a batch Dataset, read as the stream reads them (one micro-batch's). */
  Dataset<Row> files(SparkSession spark, List<String> files) {
    var reader = spark.read().format(format).schema(schema);
    if (format.equals("csv")) {
      reader = reader.option("header", "true");
    }
    return reader.load(files.toArray(new String[0]));
  }
}
