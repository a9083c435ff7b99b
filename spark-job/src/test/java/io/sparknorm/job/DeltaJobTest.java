package io.sparknorm.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.core.SparknormVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job on Delta tables, at a path and in the catalog (Delta's catalog over the in-memory session catalog), in a
 * session of its own: Delta's extension and catalog are settings of a session's start.
 */
class DeltaJobTest {
  static SparkSession spark;
  @TempDir
  static Path warehouse;
  @TempDir
  Path dir;
  Path results;

  @BeforeAll
  static void start() {
    spark = TableData.startDeltaSession(warehouse);
    assertTrue(spark.conf().get("spark.sql.extensions").startsWith(DeltaLake.EXTENSION), "a session of its own");
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

  private String table() {
    return results.resolve("table").toString();
  }

  private List<Row> history(String table) {
    return spark.sql("DESCRIBE HISTORY " + table).orderBy("version").collectAsList();
  }

  private static String record(String method, String shape, String statsOut, String input) {
    return "{\"sparknorm\":\"" + SparknormVersion.full() + "\",\"method\":\"" + method + "\",\"shape\":[" + shape
        + "],\"eps\":1.0E-5,\"groups\":null,\"affine\":null,\"stats_out\":" + (statsOut == null ? "null"
        : "\"" + statsOut + "\"") + ",\"stats_in\":null,\"handle_invalid\":\"error\",\"input\":\"" + input + "\"}";
  }

  @Test
  void deltaOutputHoldsTheParquetOutputsNumbersInOneCommitThatSaysHowItWasMade() {
    String in = TableData.parquet(spark, dir.resolve("in.parquet"), 0, 20, -1);
    String parquet = dir.resolve("out.parquet").toString();
    JobRun.of("--input", in, "--output", parquet, "--method", "layer").assertSucceeded("layer", 20, 20, 0, 0);
    JobRun.of("--input", in, "--output", table(), "--output-format", "delta", "--method", "layer")
        .assertSucceeded("layer", 20, 20, 0, 0);

    List<String> expected = TableData.rows(spark.read().parquet(parquet));
    assertEquals(20, expected.size());
    assertEquals(expected, TableData.rows(spark.read().format("delta").load(table())), "bit for bit");
    List<Row> history = history(DeltaLake.atPath(table()));
    assertEquals(1, history.size(), "one commit");
    assertEquals(record("layer", "8", null, in), history.get(0).getAs("userMetadata"));
  }

  @Test
  void overwriteWritesANewVersionAndTheOldOneStaysReadable() {
    String first = TableData.parquet(spark, dir.resolve("first.parquet"), 0, 10, -1);
    String second = TableData.parquet(spark, dir.resolve("second.parquet"), 100, 6, -1);
    JobRun.of("--input", first, "--output", table(), "--output-format", "delta", "--method", "batch")
        .assertSucceeded("batch", 10, 10, 0, 0);
    List<String> version0 = TableData.rows(spark.read().format("delta").load(table()));
    JobRun.of("--input", second, "--output", table(), "--output-format", "delta", "--method", "batch",
        "--overwrite").assertSucceeded("batch", 6, 6, 0, 0);

    assertEquals(2, history(DeltaLake.atPath(table())).size());
    List<String> now = TableData.rows(spark.read().format("delta").load(table()));
    assertEquals(6, now.size());
    assertTrue(now.get(0).startsWith("100:"), now.get(0));
    assertEquals(version0, TableData.rows(spark.sql("SELECT * FROM " + DeltaLake.atPath(table()) + " VERSION AS OF 0")));
    assertEquals(10, version0.size());
  }

  @Test
  void appendAddsTheRowsInOneMoreCommit() {
    String first = TableData.parquet(spark, dir.resolve("first.parquet"), 0, 10, -1);
    String second = TableData.parquet(spark, dir.resolve("second.parquet"), 100, 6, -1);
    JobRun.of("--input", first, "--output", table(), "--output-format", "delta", "--method", "layer")
        .assertSucceeded("layer", 10, 10, 0, 0);
    List<String> before = TableData.rows(spark.read().format("delta").load(table()));
    JobRun.of("--input", second, "--output", table(), "--output-format", "delta", "--method", "layer", "--append")
        .assertSucceeded("layer", 6, 6, 0, 0);

    List<Row> history = history(DeltaLake.atPath(table()));
    assertEquals(2, history.size());
    assertEquals("Append", history.get(1).getMap(history.get(1).fieldIndex("operationParameters")).get("mode").get());
    assertEquals(record("layer", "8", null, second), history.get(1).getAs("userMetadata"));
    List<String> after = TableData.rows(spark.read().format("delta").load(table()));
    assertEquals(16, after.size());
    assertEquals(before, after.subList(0, 10), "the first rows unchanged");
  }

  @Test
  void aFailedJobLeavesTheTableAtItsVersionWithTheSameRowsAndNoStatisticsFile() throws Exception {
    String good = TableData.parquet(spark, dir.resolve("good.parquet"), 0, 10, -1);
    String bad = TableData.parquet(spark, dir.resolve("bad.parquet"), 100, 10, 7);
    JobRun.of("--input", good, "--output", table(), "--output-format", "delta", "--method", "layer")
        .assertSucceeded("layer", 10, 10, 0, 0);
    List<String> before = TableData.rows(spark.read().format("delta").load(table()));
    String stats = table() + "/_sparknorm/stats.json";
    for (String[] args : List.of(new String[] {"--method", "layer", "--overwrite"},
        new String[] {"--method", "layer", "--append"}, new String[] {"--method", "batch", "--overwrite",
            "--stats-out", stats})) {
      JobRun failed = JobRun.of(concat(new String[] {"--input", bad, "--output", table(), "--output-format", "delta"},
          args));
      assertEquals(1, failed.exit(), failed.err());
      assertEquals(List.of("error: column 'features', row 7: value NaN at index 3 is not finite"),
          failed.errorLines());
      assertEquals("", failed.out());
      assertEquals(1, history(DeltaLake.atPath(table())).size(), "no commit");
      assertEquals(before, TableData.rows(spark.read().format("delta").load(table())), "the same rows");
      assertFalse(Files.exists(Path.of(stats)), "no statistics file");
    }
  }

  @Test
  void aFailedJobLeavesNothingWhereItWouldHaveMadeANewTable() throws Exception {
    String bad = TableData.parquet(spark, dir.resolve("bad.parquet"), 0, 10, 7);
    JobRun.of("--input", bad, "--output", table(), "--output-format", "delta", "--method", "layer")
        .assertFailed("error: column 'features', row 7: value NaN at index 3 is not finite", results);
  }

  @Test
  void statisticsInsideTheTableLeaveItsRowsAsTheyAre() throws Exception {
    String in = TableData.parquet(spark, dir.resolve("in.parquet"), 0, 12, -1);
    String parquet = dir.resolve("out.parquet").toString();
    String parquetStats = dir.resolve("stats.json").toString();
    String stats = table() + "/_sparknorm/stats.json";
    JobRun.of("--input", in, "--output", parquet, "--method", "batch", "--stats-out", parquetStats)
        .assertSucceeded("batch", 12, 12, 0, 0);
    JobRun.of("--input", in, "--output", table(), "--output-format", "delta", "--method", "batch", "--stats-out",
        stats).assertSucceeded("batch", 12, 12, 0, 0);

    assertEquals(Files.readString(Path.of(parquetStats)), Files.readString(Path.of(stats)));
    assertEquals(TableData.rows(spark.read().parquet(parquet)),
        TableData.rows(spark.read().format("delta").load(table())));
    assertEquals(record("batch", "8", stats, in), history(DeltaLake.atPath(table())).get(0).getAs("userMetadata"));
  }

  @Test
  void aTableWrittenByOneRunIsReadByNameByTheNext() {
    String in = TableData.parquet(spark, dir.resolve("in.parquet"), 0, 10, -1);
    JobRun.of("--input", in, "--output-table", "first", "--output-format", "delta", "--method", "layer")
        .assertSucceeded("layer", 10, 10, 0, 0);
    JobRun.of("--input-table", "first", "--output-table", "second", "--output-format", "delta", "--method", "layer")
        .assertSucceeded("layer", 10, 10, 0, 0);
    JobRun.of("--input-table", "second", "--output-table", "second", "--output-format", "delta", "--method", "layer",
        "--append").assertSucceeded("layer", 10, 10, 0, 0);
    JobRun.of("--input-table", "first", "--output-table", "third", "--method", "layer")
        .assertSucceeded("layer", 10, 10, 0, 0);

    assertEquals(record("layer", "8", null, in), history("first").get(0).getAs("userMetadata"));
    List<Row> second = history("second");
    assertEquals(2, second.size());
    assertEquals(record("layer", "8", null, "first"), second.get(0).getAs("userMetadata"));
    assertEquals(record("layer", "8", null, "second"), second.get(1).getAs("userMetadata"));
    assertEquals(20, spark.table("second").count());
    // Layer norm of layer-normed rows is about the same rows: the tables hold what the runs wrote.
    assertEquals(TableData.rows(spark.table("first")).size(), TableData.rows(spark.table("third")).size());
    assertEquals("parquet", spark.sql("DESCRIBE TABLE EXTENDED third").where("col_name = 'Provider'").first()
        .getString(1));
    assertEquals(record("layer", "8", null, "first"), spark.sql("SHOW TBLPROPERTIES third ('sparknorm.how')").first()
        .getString(1));
  }

  @Test
  void refusalsNameTheTableBeforeAnyDataIsRead() throws Exception {
    String in = TableData.parquet(spark, dir.resolve("in.parquet"), 0, 5, -1);
    JobRun.of("--input", in, "--output", table(), "--output-format", "delta", "--method", "layer")
        .assertSucceeded("layer", 5, 5, 0, 0);
    JobRun.of("--input", in, "--output-table", "t", "--output-format", "delta", "--method", "layer")
        .assertSucceeded("layer", 5, 5, 0, 0);
    String parquetTable = dir.resolve("parquet-table").toString();
    TableData.parquet(spark, Path.of(parquetTable), 0, 2, -1);
    spark.sql("CREATE TABLE p USING parquet AS SELECT * FROM parquet.`" + in + "`");
    spark.sql("CREATE TEMPORARY VIEW v AS SELECT * FROM parquet.`" + in + "`");

    assertRefused("error: output " + table() + " already exists; give --overwrite to write a new version of it or"
        + " --append to add rows", "--input", in, "--output", table(), "--output-format", "delta");
    assertRefused("error: output table t already exists; give --overwrite to write a new version of it or --append"
        + " to add rows", "--input", in, "--output-table", "t", "--output-format", "delta");
    assertRefused("error: output table v is a view; give a table", "--input", in, "--output-table", "v",
        "--output-format", "delta", "--append");
    assertRefused("error: output table p is stored as parquet, not delta: give --output-format parquet (--overwrite"
        + " and --append keep a table's format)", "--input", in, "--output-table", "p", "--output-format", "delta",
        "--overwrite");
    assertRefused("error: output table t is stored as delta, not parquet: give --output-format delta (--overwrite"
        + " and --append keep a table's format)", "--input", in, "--output-table", "t", "--append");
    assertRefused("error: output " + parquetTable + " exists and is not a Delta table (it has no _delta_log); give"
        + " another path", "--input", in, "--output", parquetTable, "--output-format", "delta", "--overwrite");
    assertRefused("error: input " + parquetTable + " is not a Delta table (it has no _delta_log)", "--input",
        parquetTable, "--input-format", "delta", "--output", dir.resolve("o").toString());
    assertEquals(1, history("t").size(), "unchanged");
    assertEquals(1, history(DeltaLake.atPath(table())).size(), "unchanged");
  }

  private static void assertRefused(String errorLine, String... args) {
    JobRun run = JobRun.of(concat(args, new String[] {"--method", "layer"}));
    assertEquals(1, run.exit(), run.err());
    assertEquals(List.of(errorLine), run.errorLines());
    assertEquals("", run.out());
  }

  private static String[] concat(String[] a, String[] b) {
    String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  /** Set by the view's function when the job's write reads its first row; released once the other commit is in. */
  private static CountDownLatch writing;
  private static CountDownLatch otherCommitted;

  @Test
  void aCommitThatAnotherJobBeatIsOneErrorLineAndNothingOfThisRun() throws Exception {
    String first = TableData.parquet(spark, dir.resolve("first.parquet"), 0, 10, -1);
    String other = TableData.parquet(spark, dir.resolve("other.parquet"), 100, 3, -1);
    JobRun.of("--input", first, "--output", table(), "--output-format", "delta", "--method", "layer")
        .assertSucceeded("layer", 10, 10, 0, 0);
    writing = new CountDownLatch(1);
    otherCommitted = new CountDownLatch(1);
    // The job reads a view whose first row waits, inside the job's Delta transaction (after its snapshot, before its
    // commit), until another writer has appended to the same table.
    spark.udf().register("wait_for_other_commit", (UDF1<Integer, Integer>) id -> {
      writing.countDown();
      if (!otherCommitted.await(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("the other commit did not come");
      }
      return id;
    }, DataTypes.IntegerType);
    spark.sql("CREATE TEMPORARY VIEW held AS SELECT wait_for_other_commit(id) AS id, features FROM parquet.`" + first
        + "`");
    Thread otherJob = new Thread(() -> {
      try {
        if (writing.await(60, TimeUnit.SECONDS)) {
          spark.read().parquet(other).write().format("delta").mode("append").save(table());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        otherCommitted.countDown();
      }
    });
    otherJob.start();
    JobRun run = JobRun.of("--input-table", "held", "--output", table(), "--output-format", "delta", "--method",
        "layer", "--shape", "8", "--overwrite");
    otherJob.join(60_000);

    assertEquals(1, run.exit(), run.err());
    assertEquals(List.of("error: output " + table() + ": another job committed to this Delta table while this job ran"
        + " (ConcurrentAppendException); nothing of this run was committed"), run.errorLines());
    assertEquals("", run.out());
    List<Row> history = history(DeltaLake.atPath(table()));
    assertEquals(2, history.size(), "the first run's and the other writer's commits only");
    assertEquals(13, spark.read().format("delta").load(table()).count());
  }
}
