package io.sparknorm.ml;

import static io.sparknorm.spark.StreamRuns.SHAPE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.spark.SparkTestSession;
import io.sparknorm.spark.StreamRuns;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Delta table read as a stream, normalized by the SQL functions and a model fitted on a batch read of the table,
 * into a Delta sink: the same bits as the batch read. In a session of its own: Delta's extension and catalog are
 * settings of a session's start.
 */
class DeltaStreamsTest {
  private static SparkSession spark;
  @TempDir
  static Path warehouse;
  @TempDir
  Path work;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.start(Map.of(
        "spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension,io.sparknorm.sql.SparknormExtensions",
        "spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.sql.warehouse.dir", warehouse.toString(),
        "spark.databricks.delta.snapshotPartitions", "1"));
    assertTrue(spark.conf().get("spark.sql.extensions").startsWith("io.delta."), "a session of its own");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @Test
  void aDeltaStreamIntoADeltaSinkGivesTheBitsOfTheBatchRead() {
    String table = work.resolve("table").toString();
    for (long from = 0; from < 12; from += 4) {
      StreamRuns.appendFile(spark, StreamRuns.rows(from, from + 4, 0), "delta", Path.of(table));
    }
    Dataset<Row> batch = spark.read().format("delta").load(table);
    TensorBatchNormModel model = new TensorBatchNorm().setInputCol("x").setOutputCol("b").setShape(SHAPE).fit(batch);
    TensorBatchNormModel perSite = new TensorBatchNorm().setInputCol("f").setOutputCol("bk").setShape(SHAPE)
        .setGroupCols("site").fit(batch);
    Function<Dataset<Row>, Dataset<Row>> normalize = input -> perSite.transform(model.transform(input.selectExpr("*",
        "layer_norm(x, '2,3') AS l", "group_norm(f, '2,3', 2) AS g", "try_instance_norm(y, '2,3') AS ti",
        "batch_norm(x, array(0.5D, -0.25D), array(2D, 3D), 1e-5) AS bc"))).drop("ts");
    List<String> expected = StreamRuns.exact(normalize.apply(batch));
    Dataset<Row> stream = spark.readStream().format("delta").option("maxFilesPerTrigger", 1).load(table);
    List<String> streamed = StreamRuns.exact(StreamRuns.runToSink(normalize.apply(stream), "delta",
        work.resolve("sink")));
    assertEquals(12, expected.size());
    assertEquals(expected, streamed, "the Delta sink's rows, bit for bit");
  }
}
