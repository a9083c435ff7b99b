package io.sparknorm.job;

import io.sparknorm.spark.NormalizeSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.AnalysisException;
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

  /** Elements of tensor data that one columnar reader batch may hold: 32 MiB of doubles. */
  static final long COLUMNAR_BATCH_ELEMENTS = 1L << 22;

  /** The session settings of the rows per Parquet and ORC reader batch. */
  static final List<String> COLUMNAR_BATCH_SIZES =
      List.of("spark.sql.parquet.columnarReaderBatchSize", "spark.sql.orc.columnarReaderBatchSize");

  /**
   * Caps the rows per Parquet and ORC reader batch (Spark's default: 4,096 rows) so that a batch holds about
   * {@link #COLUMNAR_BATCH_ELEMENTS} tensor elements: 4,096 images of 3x224x224 would be 2.4 GB per task and fail
   * with an OutOfMemoryError. Tensors of up to 1,024 elements keep Spark's default.
   *
   * <p>The cap is a session setting and the reads are lazy, so it must hold until the job's last action; the
   * session may be the caller's (a notebook's, a test's), whose settings the job must not leave changed. Run the
   * returned action when the job is done: it puts back what was there (a value, or none).
   */
  static Runnable boundColumnarBatches(SparkSession spark, int tensorSize) {
    long rows = Math.max(1, Math.min(4096, COLUMNAR_BATCH_ELEMENTS / Math.max(1, tensorSize)));
    if (rows >= 4096) {
      return () -> { };
    }
    // What the session had set itself (null: nothing, Spark's default), not the default's value, so that an unset
    // setting is unset again.
    Map<String, String> before = new LinkedHashMap<>();
    for (String key : COLUMNAR_BATCH_SIZES) {
      before.put(key, spark.conf().contains(key) ? spark.conf().get(key) : null);
      spark.conf().set(key, Long.toString(rows));
    }
    return () -> before.forEach((key, value) -> {
      if (value != null) {
        spark.conf().set(key, value);
      } else {
        spark.conf().unset(key);
      }
    });
  }

  /**
   * The input as a frame.
   *
   * @throws IllegalArgumentException when the input holds no data files (an empty folder, or only
   *     hidden files), so that Spark finds no schema: Spark's own message asks for a schema that
   *     the job's user cannot give; when it has no columns (an empty JSON or CSV file), which would
   *     else be reported as the tensor column missing
   */
  static Dataset<Row> read(SparkSession spark, String format, String path) {
    var reader = spark.read().format(format);
    if (format.equals("csv")) {
      reader = reader.option("header", "true").option("inferSchema", "true");
    }
    Dataset<Row> data;
    try {
      data = reader.load(path);
    } catch (Exception e) {
      // AnalysisException, which Java sees as checked and Scala does not declare; rethrown as it is.
      if (e instanceof AnalysisException analysis && "UNABLE_TO_INFER_SCHEMA".equals(analysis.getCondition())) {
        throw new IllegalArgumentException("input " + path + " holds no " + format
            + " data files to read (an empty folder has no schema)", e);
      }
      throw e;
    }
    if (data.schema().fields().length == 0) {
      // JSON and CSV take their columns from their rows; the row check reads at most one row.
      throw new IllegalArgumentException(data.isEmpty() ? "input " + path + " has no rows, and so no columns (a "
          + format + " input takes its columns from its rows)" : "input " + path + " has no columns: its rows have no"
          + " fields");
    }
    return data;
  }

  /**
   * Writes the (counted) normalized frame as files to {@code folder} (the staging folder); the counts come from the
   * write itself. {@code plainValues}, asked only for Parquet output: whether Parquet writes the tensor's values
   * without a dictionary ({@link TensorEncoding}).
   */
  static void write(Dataset<Row> counted, String format, String outputCol, org.apache.hadoop.fs.Path folder,
      java.util.function.BooleanSupplier plainValues) {
    String outFormat = formatOf(format, "output-format", false);
    prepare(counted, outFormat, outputCol).write().format(outFormat)
        .options(writerOptions(outFormat, outputCol, plainValues)).save(folder.toString());
  }

  /**
   * The normalized frame as {@code outFormat} holds it, for the batch job's write and the stream's sink alike: CSV's
   * tensor as JSON array text, every other format as it is.
   */
  static Dataset<Row> prepare(Dataset<Row> frame, String outFormat, String outputCol) {
    return outFormat.equals("csv") ? forCsv(frame, outputCol) : frame;
  }

  /** The file writer's options of {@code outFormat}, for the batch job's write and the stream's sink alike. */
  static Map<String, String> writerOptions(String outFormat, String outputCol,
      java.util.function.BooleanSupplier plainValues) {
    Map<String, String> options = new LinkedHashMap<>();
    if (outFormat.equals("csv")) {
      options.put("header", "true");
    }
    if (outFormat.equals("parquet") && plainValues.getAsBoolean()) {
      options.putAll(TensorEncoding.plainValues(outputCol));
    }
    return options;
  }

  static String formatOf(String format, String option, boolean input) {
    String f = format.strip().toLowerCase(Locale.ROOT);
    List<String> allowed = input ? List.of("parquet", "json", "csv", "orc", "image", "delta")
        : List.of("parquet", "json", "csv", "orc", "delta");
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
