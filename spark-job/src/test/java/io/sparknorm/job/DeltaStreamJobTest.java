package io.sparknorm.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job with --stream from a Delta table to a Delta table, at a path and in the catalog, in a session with Delta's
 * extension and catalog (as {@link DeltaJobTest}'s): each version of the input once, with the batch job's bits.
 */
class DeltaStreamJobTest {
  static SparkSession spark;
  @TempDir
  static Path warehouse;
  @TempDir
  Path dir;
  Path results;

  @BeforeAll
  static void start() {
    spark = TableData.startDeltaSession(warehouse);
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @BeforeEach
  void makeResultsFolder() throws Exception {
    results = Files.createDirectories(dir.resolve("results"));
  }

  @AfterEach
  void dropTables() {
    TableData.dropAll(spark);
  }

  /** Appends {@code rows} rows with ids from {@code firstId} to the Delta table at {@code table}: one commit. */
  private void append(String table, int firstId, int rows) {
    String file = TableData.parquet(spark, dir.resolve("rows-" + firstId), firstId, rows, -1);
    spark.read().parquet(file).write().format("delta").mode("append").save(table);
  }

  @Test
  void aDeltaTableStreamsIntoADeltaTableWithTheBatchJobsBitsEachVersionOnce() {
    String in = dir.resolve("in").toString();
    append(in, 0, 10);
    append(in, 10, 6);
    String out = results.resolve("out").toString();
    String[] args = {"--stream", "--input", in, "--input-format", "delta", "--output", out, "--output-format",
        "delta", "--checkpoint", results.resolve("cp").toString(), "--method", "layer", "--max-files-per-trigger", "1"};
    JobRun first = JobRun.of(args);
    first.assertSucceeded("layer", 16, 16, 0, 0);
    assertTrue(first.out().strip().endsWith(" batches=2"), first.out());
    append(in, 16, 4);
    JobRun.of(args).assertSucceeded("layer", 4, 4, 0, 0);

    String batch = dir.resolve("batch.parquet").toString();
    JobRun.of("--input", in, "--input-format", "delta", "--output", batch, "--method", "layer")
        .assertSucceeded("layer", 20, 20, 0, 0);
    List<String> expected = TableData.rows(spark.read().parquet(batch));
    assertEquals(20, expected.size());
    assertEquals(expected, TableData.rows(spark.read().format("delta").load(out)), "bit for bit, each row once");
  }

  @Test
  void aCatalogTableStreamsIntoACatalogTable() {
    String in = dir.resolve("in").toString();
    append(in, 0, 10);
    spark.sql("CREATE TABLE source USING delta LOCATION '" + in + "'");
    JobRun.of("--stream", "--input-table", "source", "--output-table", "target", "--output-format", "delta",
        "--checkpoint", results.resolve("cp").toString(), "--method", "instance", "--shape", "2,4")
        .assertSucceeded("instance", 10, 10, 0, 0);
    String batch = dir.resolve("batch.parquet").toString();
    JobRun.of("--input-table", "source", "--output", batch, "--method", "instance", "--shape", "2,4")
        .assertSucceeded("instance", 10, 10, 0, 0);
    assertEquals(TableData.rows(spark.read().parquet(batch)), TableData.rows(spark.table("target")));
  }
}
