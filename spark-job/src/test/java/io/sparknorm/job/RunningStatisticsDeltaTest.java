package io.sparknorm.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.spark.TensorNormalization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Running statistics over a stream into Delta (a path and a catalog table), in a session of its own with Delta's
 * extension and catalog: a micro-batch that Spark runs again is committed once (Delta's txnAppId and txnVersion).
 */
class RunningStatisticsDeltaTest {
  static SparkSession spark;
  @TempDir
  static Path warehouse;
  @TempDir
  Path dir;

  @BeforeAll
  static void start() {
    spark = TableData.startDeltaSession(warehouse);
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @AfterEach
  void dropTables() {
    TableData.dropAll(spark);
  }

  private static long[] bits(double[] values) {
    long[] bits = new long[values.length];
    for (int i = 0; i < values.length; i++) {
      bits[i] = Double.doubleToRawLongBits(values[i]);
    }
    return bits;
  }

  @Test
  void aMicroBatchRunAgainIsCommittedToDeltaOnce() throws Exception {
    Path in = dir.resolve("in");
    Map<Long, double[]> expected = new LinkedHashMap<>();
    for (int k = 0; k < 3; k++) {
      Path file = StreamFiles.write(spark, in, k, 8, -1);
      expected.putAll(StreamFiles.byId(TensorNormalization.normalize(spark.read().schema(StreamFiles.SCHEMA)
          .parquet(file.toString()), StreamFiles.spec()).frame()));
    }
    String table = dir.resolve("table").toString();
    Path checkpoint = dir.resolve("checkpoint");
    JobOptions options = StreamFiles.options(table, "delta", checkpoint, null, 0.1);
    StreamFiles.run(spark, in, options, StreamFiles.spec(), null);
    assertEquals(3, spark.sql("DESCRIBE HISTORY " + DeltaLake.atPath(table)).count(), "one commit per micro-batch");

    Files.delete(checkpoint.resolve("commits/2"));
    Files.deleteIfExists(checkpoint.resolve("commits/.2.crc"));
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    RunningStatisticsBatches batches = RunningStatisticsBatches.start(options, StreamFiles.spec(), null, spark, conf);
    List<Long> calls = new ArrayList<>();
    StreamFiles.run(spark, in, checkpoint, (batch, id) -> {
      calls.add(id);
      batches.call(batch, id);
    });
    assertEquals(List.of(2L), calls, "Spark ran batch 2 again");
    assertEquals(3, spark.sql("DESCRIBE HISTORY " + DeltaLake.atPath(table)).count(), "no commit for the batch again");
    Map<Long, double[]> rows = StreamFiles.byId(spark.read().format("delta").load(table));
    assertEquals(expected.keySet(), rows.keySet(), "every row once");
    expected.forEach((id, values) -> assertArrayEquals(bits(values), bits(rows.get(id)), "id " + id));
  }

  @Test
  void anOutputTableIsNamedInTheCatalogAfterItsFirstCommit() throws Exception {
    Path in = dir.resolve("in");
    for (int k = 0; k < 2; k++) {
      StreamFiles.write(spark, in, k, 8, -1);
    }
    JobOptions options = StreamFiles.options(null, "delta", dir.resolve("checkpoint"), null, null);
    options.outputTable = "streamed";
    StreamFiles.run(spark, in, options, StreamFiles.spec(), null);
    assertTrue(spark.catalog().tableExists("streamed"));
    assertEquals(16, spark.table("streamed").count());
  }
}
