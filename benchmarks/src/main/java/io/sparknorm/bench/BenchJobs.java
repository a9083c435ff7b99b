package io.sparknorm.bench;

import io.sparknorm.sql.SparknormExtensions;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.StandardScalerModel;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.ColumnarToRowExec;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.WholeStageCodegenExec;

/**
 * The jobs that the benchmarks time and that are not {@code NormalizeJob}: the same code in one
 * session ({@link JobBenchmark}) and as separate spark-submit runs ({@link SubmitJob}). Every job
 * reads the Parquet at {@code input} and writes Parquet to {@code output}, replacing it.
 */
final class BenchJobs {
  private BenchJobs() {}

  /** The column that holds the tensors in the generated data. */
  static final String TENSOR = "features";

  /** The extension class that registers the SQL functions ({@code spark.sql.extensions}). */
  static final String EXTENSION = SparknormExtensions.class.getName();

  /** The formats the identity job writes: Parquet files, or a Delta table (Parquet files and Delta's log). */
  static final List<String> OUTPUT_FORMATS = List.of("parquet", "delta");

  /**
   * The I/O limit: read Parquet, write it in {@code format} (one of {@link #OUTPUT_FORMATS}) with the
   * writer's defaults, nothing else. A Delta table already at {@code output} is overwritten as a new version.
   */
  static void identity(SparkSession spark, String input, String output, String format) {
    spark.read().parquet(input).write().format(format).mode(SaveMode.Overwrite).save(output);
  }

  /**
   * The identity with the job's writer setting for per-sample outputs: the tensor's values written
   * without a dictionary ({@code parquet.enable.dictionary#features.list.element=false}). Times
   * what the job's writer setting alone is worth, beside the plain identity.
   */
  static void identityPlain(SparkSession spark, String input, String output) {
    spark.read().parquet(input).write().mode(SaveMode.Overwrite)
        .option("parquet.enable.dictionary#" + TENSOR + ".list.element", "false").parquet(output);
  }

  /**
   * The tensor column's columnar batches as Spark's Parquet reader decodes them, counted and
   * nothing else: what a second read of the input costs by itself, the floor under batch norm's
   * statistics pass (which reads these batches too, see {@code ColumnarStatistics}). Returns the rows.
   */
  static long readTensors(SparkSession spark, String input) {
    Dataset<Row> tensors = spark.read().parquet(input).select(TENSOR);
    SparkPlan plan = ((org.apache.spark.sql.classic.Dataset<Row>) tensors).queryExecution().executedPlan();
    SparkPlan top = plan instanceof WholeStageCodegenExec stage ? stage.child() : plan;
    if (!(top instanceof ColumnarToRowExec toRows)) {
      throw new IllegalStateException("no columnar scan of " + input + ": " + plan);
    }
    return toRows.child().executeColumnar().toJavaRDD().map(batch -> (long) batch.numRows()).reduce(Long::sum);
  }

  /** Spark ML's nearest thing to batch norm: StandardScaler with mean and std (fit, transform, write). */
  static void standardScaler(SparkSession spark, String input, String output) {
    Dataset<Row> data = spark.read().parquet(input).withColumn(TENSOR,
        org.apache.spark.ml.functions.array_to_vector(org.apache.spark.sql.functions.col(TENSOR)));
    StandardScalerModel model = new StandardScaler().setWithMean(true).setWithStd(true).setInputCol(TENSOR)
        .setOutputCol("scaled").fit(data);
    model.transform(data).drop(TENSOR).write().mode(SaveMode.Overwrite).parquet(output);
  }

  /**
   * Layer norm through SQL: the data as the temporary view {@code t}, then
   * {@code SELECT <every other column>, layer_norm(features, '<shape>') AS features FROM t} (the
   * columns in the input's order, the tensor replaced in place, as the job does).
   */
  static void layerNormSql(SparkSession spark, String input, String output, String shape) {
    requireExtension(spark);
    Dataset<Row> data = spark.read().parquet(input);
    data.createOrReplaceTempView("t");
    List<String> columns = new ArrayList<>();
    for (String name : data.columns()) {
      columns.add(name.equals(TENSOR) ? "layer_norm(`" + TENSOR + "`, '" + shape + "') AS `" + TENSOR + "`"
          : "`" + name.replace("`", "``") + "`");
    }
    spark.sql("SELECT " + String.join(", ", columns) + " FROM t").write().mode(SaveMode.Overwrite).parquet(output);
  }

  /** The same through the DataFrame API: {@code io.sparknorm.sql.functions.layerNorm} in a select. */
  static void layerNormApi(SparkSession spark, String input, String output, String shape) {
    requireExtension(spark);
    Dataset<Row> data = spark.read().parquet(input);
    List<Column> columns = new ArrayList<>();
    for (String name : data.columns()) {
      columns.add(name.equals(TENSOR)
          ? io.sparknorm.sql.functions.layerNorm(data.col(TENSOR), shape).as(TENSOR) : data.col(name));
    }
    data.select(columns.toArray(new Column[0])).write().mode(SaveMode.Overwrite).parquet(output);
  }

  /** Fails, saying how to fix it, when the session was not created with sparknorm's extension. */
  static void requireExtension(SparkSession spark) {
    String extensions = spark.conf().get("spark.sql.extensions", "");
    if (!List.of(extensions.split(",")).stream().map(String::strip).toList().contains(EXTENSION)) {
      throw new IllegalStateException("the session has no sparknorm SQL functions: start it with --conf"
          + " spark.sql.extensions=" + EXTENSION + " (spark.sql.extensions is '" + extensions + "')");
    }
  }
}
