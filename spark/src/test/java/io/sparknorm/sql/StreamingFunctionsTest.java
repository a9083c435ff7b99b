package io.sparknorm.sql;

import static io.sparknorm.sql.functions.batchNorm;
import static io.sparknorm.sql.functions.batchNormStats;
import static io.sparknorm.sql.functions.groupNorm;
import static io.sparknorm.sql.functions.instanceNorm;
import static io.sparknorm.sql.functions.layerNorm;
import static io.sparknorm.sql.functions.tryBatchNorm;
import static io.sparknorm.sql.functions.tryGroupNorm;
import static io.sparknorm.sql.functions.tryInstanceNorm;
import static io.sparknorm.sql.functions.tryLayerNorm;
import static io.sparknorm.spark.StreamRuns.SHAPE;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.window;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.spark.LocalSpark;
import io.sparknorm.spark.StreamRuns;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The SQL functions and the DataFrame API in real streaming queries over folders of files: a stream's sink holds the
 * same bits, row by row (by id), as the same call on a batch read of the same files. batch_norm_stats works per
 * event-time window and is refused over a whole stream.
 */
@ExtendWith(LocalSpark.class)
class StreamingFunctionsTest {
  private static SparkSession spark;
  @TempDir
  static Path data;
  @TempDir
  Path work;

  /** Every SQL function: constant and per-key statistics (a join with a batch table), affine, try_ with a NaN row. */
  private static final String EVERY_FUNCTION = "SELECT id,"
      + " layer_norm(x, '2,3') AS l, layer_norm(f, '2,3', 1e-3, array(1D, 2D, 3D, 4D, 5D, 6D), NULL) AS lf,"
      + " instance_norm(x, '2,3') AS i, instance_norm(f, '2,3', 1e-5, array(2D, 3D), array(0.5D, -1D)) AS inf,"
      + " group_norm(x, '2,3', 2) AS g, group_norm(f, array(2, 3), 1, 1e-4) AS gf,"
      + " batch_norm(x, array(0.5D, -0.25D), array(2D, 3D), 1e-5) AS b,"
      + " batch_norm(f, named_struct('mean', array(0.1D, 0.2D), 'var', array(1.5D, 2.5D))) AS bs,"
      + " batch_norm(x, s, 1e-5, array(1D, 2D), array(0D, 1D)) AS bk,"
      + " try_layer_norm(y, '2,3') AS tl, try_instance_norm(y, '2,3') AS ti, try_group_norm(y, '2,3', 1) AS tg,"
      + " try_batch_norm(y, s) AS tb"
      + " FROM %s JOIN site_stats USING (site)";

  @BeforeAll
  static void writeFiles() {
    for (String format : List.of("parquet", "json")) {
      Path folder = data.resolve(format);
      for (long from = 0; from < 12; from += 4) {
        StreamRuns.appendFile(spark, StreamRuns.rows(from, from + 4, 0), format, folder);
      }
    }
    StreamRuns.batch(spark, "parquet", data.resolve("parquet")).createOrReplaceTempView("batch_in");
    spark.sql("SELECT site, batch_norm_stats(x, '2,3') AS s FROM batch_in GROUP BY site")
        .createOrReplaceTempView("site_stats");
  }

  private void assertSameBits(String format, Function<Dataset<Row>, Dataset<Row>> query) {
    Path folder = data.resolve(format);
    List<String> batch = StreamRuns.exact(query.apply(StreamRuns.batch(spark, format, folder)));
    List<String> streamed = StreamRuns.exact(StreamRuns.runToSink(
        query.apply(StreamRuns.stream(spark, format, folder)), "parquet", work));
    assertEquals(12, batch.size());
    assertEquals(batch, streamed, "the stream's rows, bit for bit");
  }

  @ParameterizedTest
  @ValueSource(strings = {"parquet", "json"})
  void everySqlFunctionOnAStreamGivesTheBitsOfTheSameQueryInBatch(String format) {
    assertSameBits(format, input -> {
      String view = "in_" + (input.isStreaming() ? "stream" : "batch");
      input.createOrReplaceTempView(view);
      return spark.sql(String.format(EVERY_FUNCTION, view));
    });
    Row invalid = spark.sql(String.format(EVERY_FUNCTION, "batch_in") + " WHERE id = " + StreamRuns.INVALID_Y).first();
    assertTrue(invalid.isNullAt(invalid.fieldIndex("tl")) && invalid.isNullAt(invalid.fieldIndex("tb")),
        "the try_ functions give NULL for the NaN row");
  }

  @Test
  void theDataFrameApiOnAStreamGivesTheBitsOfTheSameCallsInBatch() {
    Dataset<Row> stats = spark.table("site_stats");
    assertSameBits("parquet", input -> input.join(stats, "site").select(col("id"),
        layerNorm(col("x"), SHAPE).as("l"), layerNorm(col("f"), SHAPE, 1e-3).as("lf"),
        instanceNorm(col("x"), SHAPE, 1e-5, new double[] {2, 3}, null).as("i"),
        groupNorm(col("f"), SHAPE, 2, 1e-5, new double[] {1, -1}, new double[] {0, 2}).as("g"),
        batchNorm(col("x"), new double[] {0.5, -0.25}, new double[] {2, 3}, 1e-5).as("b"),
        batchNorm(col("f"), col("s")).as("bk"),
        tryLayerNorm(col("y"), SHAPE).as("tl"), tryInstanceNorm(col("y"), SHAPE).as("ti"),
        tryGroupNorm(col("y"), SHAPE, 1).as("tg"), tryBatchNorm(col("y"), col("s")).as("tb")));
  }

  /**
   * Per event-time window with a watermark, batch_norm_stats in a stream gives each window the exact statistics of
   * its rows: those of GROUP BY window on the batch read. Two late files move the watermark past the windows.
   */
  @Test
  void batchNormStatsPerWatermarkedWindowGivesEachWindowsBatchStatistics() {
    Path folder = data.resolve("windows");
    for (long from = 0; from < 12; from += 4) {
      StreamRuns.appendFile(spark, StreamRuns.rows(from, from + 4, 0), "parquet", folder);
    }
    StreamRuns.appendFile(spark, StreamRuns.rows(100, 101, -40), "parquet", folder);
    StreamRuns.appendFile(spark, StreamRuns.rows(101, 102, 19), "parquet", folder);
    Column window = window(col("ts"), "5 minutes");
    List<String> batch = StreamRuns.exact(StreamRuns.batch(spark, "parquet", folder).groupBy(window)
        .agg(batchNormStats(col("x"), SHAPE).as("s")));
    List<String> streamed = StreamRuns.exact(StreamRuns.runToSink(StreamRuns.stream(spark, "parquet", folder)
        .withWatermark("ts", "0 seconds").groupBy(window).agg(batchNormStats(col("x"), SHAPE).as("s")),
        "parquet", work));
    assertTrue(streamed.size() >= 3, "the three windows the watermark passed: " + streamed);
    // Rows 0-4, 5-9 and 10-11, each with 3 values per channel.
    long[] counts = {15, 15, 6};
    for (int i = 0; i < 3; i++) {
      assertTrue(streamed.get(i).contains("count=" + counts[i] + ","), counts[i] + " values: " + streamed.get(i));
    }
    assertEquals(batch.subList(0, streamed.size()), streamed, "each window's statistics, bit for bit");
  }

  private static final String REFUSED = "batch_norm_stats: aggregated over a stream without an event-time window: the"
      + " statistics of a whole stream never finish. Fit them on a batch read of the same data (spark.read) and give"
      + " them to batch_norm on the stream; or group by an event-time window over a watermarked column"
      + " (withWatermark, GROUP BY window(ts, ...)) for each window's statistics; or use the job's --stream"
      + " --momentum for running statistics";

  @Test
  void batchNormStatsOverAWholeStreamIsRefusedWhenTheQueryIsAnalyzed() {
    Dataset<Row> stream = StreamRuns.stream(spark, "parquet", data.resolve("parquet"));
    stream.createOrReplaceTempView("whole_stream");
    List<Runnable> refused = new ArrayList<>(List.of(
        () -> spark.sql("SELECT batch_norm_stats(x, '2,3') AS s FROM whole_stream"),
        () -> spark.sql("SELECT site, batch_norm_stats(x, '2,3').mean FROM whole_stream GROUP BY site"),
        () -> stream.agg(batchNormStats(col("x"), SHAPE)),
        () -> stream.groupBy(col("site")).agg(batchNormStats(col("f"), SHAPE)),
        // A window over a column without a watermark never closes either.
        () -> stream.groupBy(window(col("ts"), "5 minutes")).agg(batchNormStats(col("x"), SHAPE))));
    for (Runnable query : refused) {
      StreamingInputException e = assertThrows(StreamingInputException.class, query::run);
      assertEquals(REFUSED, e.getMessage());
      assertEquals("batch_norm_stats", e.operation());
    }
    assertEquals(0, spark.streams().active().length, "no query started");
    // The same aggregate over a batch read, and a batch table of it joined to a stream, are not refused.
    assertEquals(3, spark.sql("SELECT site, batch_norm_stats(x, '2,3') FROM batch_in GROUP BY site").count());
    assertTrue(stream.join(spark.table("site_stats"), "site").isStreaming());
  }
}
