package io.sparknorm.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.sparknorm.core.SparknormVersion;
import io.sparknorm.spark.SparkTestSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job on catalog tables that are not Delta (Spark's in-memory catalog), the table options' usage errors, and
 * Delta asked for where it is not configured: in a session of its own, whose warehouse is a temporary folder.
 */
class TableJobTest {
  static SparkSession spark;
  @TempDir
  static Path warehouse;
  @TempDir
  Path dir;
  Path results;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.start(Map.of("spark.sql.warehouse.dir", warehouse.toString()));
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

  /** The warehouse's entries: the tables' folders, and no hidden staging folder. */
  private static List<String> warehouseEntries() throws Exception {
    try (Stream<Path> entries = Files.list(warehouse)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void catalogTablesInAndOutHoldThePathOutputsNumbersAndHowTheyWereMade() throws Exception {
    String in = TableData.parquet(spark, dir.resolve("in.parquet"), 0, 10, -1);
    String parquet = dir.resolve("out.parquet").toString();
    JobRun.of("--input", in, "--output", parquet, "--method", "layer").assertSucceeded("layer", 10, 10, 0, 0);
    JobRun.of("--input", in, "--output-table", "t", "--method", "layer").assertSucceeded("layer", 10, 10, 0, 0);
    List<String> expected = TableData.rows(spark.read().parquet(parquet));
    assertEquals(expected, TableData.rows(spark.table("t")), "bit for bit");
    assertEquals("{\"sparknorm\":\"" + SparknormVersion.full() + "\",\"method\":\"layer\",\"shape\":[8],\"eps\":1.0E-5,"
        + "\"groups\":null,\"affine\":null,\"stats_out\":null,\"stats_in\":null,\"handle_invalid\":\"error\",\"input\":\""
        + in + "\"}", spark.sql("SHOW TBLPROPERTIES t ('sparknorm.how')").first().getString(1));

    spark.sql("CREATE TEMPORARY VIEW v AS SELECT * FROM t");
    JobRun.of("--input-table", "v", "--output-table", "t", "--method", "layer", "--append")
        .assertSucceeded("layer", 10, 10, 0, 0);
    assertEquals(20, spark.table("t").count());
    JobRun.of("--input", in, "--output-table", "t", "--output-format", "orc", "--method", "layer", "--overwrite")
        .assertFailed("error: output table t is stored as parquet, not orc: give --output-format parquet (--overwrite"
            + " and --append keep a table's format)", results);
    JobRun.of("--input", in, "--output-table", "t", "--method", "layer", "--overwrite")
        .assertSucceeded("layer", 10, 10, 0, 0);
    assertEquals(expected, TableData.rows(spark.table("t")));
    assertEquals(List.of("t"), warehouseEntries(), "no staging folder left");
  }

  @Test
  void aBadRowNeverTouchesTheTable() throws Exception {
    String good = TableData.parquet(spark, dir.resolve("good.parquet"), 0, 10, -1);
    String bad = TableData.parquet(spark, dir.resolve("bad.parquet"), 100, 10, 4);
    JobRun.of("--input", good, "--output-table", "t", "--method", "layer").assertSucceeded("layer", 10, 10, 0, 0);
    List<String> before = TableData.rows(spark.table("t"));
    for (String mode : List.of("--overwrite", "--append")) {
      JobRun.of("--input", bad, "--output-table", "t", "--method", "layer", mode)
          .assertFailed("error: column 'features', row 4: value NaN at index 3 is not finite", results);
      assertEquals(before, TableData.rows(spark.table("t")), "the same rows");
    }
    JobRun.of("--input", bad, "--output-table", "fresh", "--output-format", "json", "--method", "layer")
        .assertFailed("error: column 'features', row 4: value NaN at index 3 is not finite", results);
    assertEquals(false, spark.catalog().tableExists("fresh"));
    assertEquals(List.of("t"), warehouseEntries(), "no staging folder left");
  }

  @Test
  void refusalsNameTheTableAndItsColumnBeforeAnyDataIsRead() throws Exception {
    String in = TableData.parquet(spark, dir.resolve("in.parquet"), 0, 3, -1);
    spark.sql("CREATE TABLE t USING parquet AS SELECT * FROM parquet.`" + in + "`");
    spark.sql("CREATE TABLE words USING parquet AS SELECT id, map('a', 1.0D) AS features FROM parquet.`" + in + "`");
    spark.sql("CREATE TEMPORARY VIEW v AS SELECT * FROM t");
    String out = results.resolve("o").toString();

    JobRun.of("--input-table", "nope", "--output", out, "--method", "layer")
        .assertFailed("error: input table nope does not exist", results);
    JobRun.of("--input-table", "words", "--output", out, "--method", "layer")
        .assertFailed("error: input table words: column 'features' is of type map<string,double>; the tensor column"
            + " must be an array of float, double, int, long, short or byte, or a Spark ML vector (for scalar columns"
            + " use --input-cols)", results);
    JobRun.of("--input", in, "--output-table", "v", "--method", "layer", "--overwrite")
        .assertFailed("error: output table v is a view; give a table", results);
    JobRun.of("--input", in, "--output-table", "t", "--method", "layer")
        .assertFailed("error: output table t already exists; give --overwrite to replace its rows or --append to add"
            + " rows", results);
  }

  @Test
  void deltaWhereTheSessionHasNoDeltaIsOneLineSayingWhatToAdd() throws Exception {
    String in = TableData.parquet(spark, dir.resolve("in.parquet"), 0, 3, -1);
    String conf = " --conf spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension,"
        + "io.sparknorm.sql.SparknormExtensions --conf spark.sql.catalog.spark_catalog="
        + "org.apache.spark.sql.delta.catalog.DeltaCatalog";
    JobRun.of("--input", in, "--output", results.resolve("o").toString(), "--output-format", "delta", "--method",
        "layer").assertFailed("error: --output-format delta needs Delta Lake's extension and catalog in the session,"
            + " which are not configured: add" + conf, results);
    JobRun.of("--input", in, "--input-format", "delta", "--output", results.resolve("o").toString(), "--method",
        "layer").assertFailed("error: --input-format delta needs Delta Lake's extension and catalog in the session,"
            + " which are not configured: add" + conf, results);
    IllegalArgumentException absent = assertThrows(IllegalArgumentException.class,
        () -> DeltaLake.require(spark, "--output-format delta", ClassLoader.getPlatformClassLoader()));
    assertEquals("--output-format delta needs Delta Lake, which is not on the class path: add --packages"
        + " io.delta:delta-spark_4.2_2.13:4.4.0 (or --jars delta-spark_4.2_2.13-4.4.0.jar,delta-storage-4.4.0.jar)"
        + " and" + conf, absent.getMessage());
  }

  @Test
  void tableOptionsThatDoNotGoTogetherAreUsageErrors() {
    String[][] cases = {
        {"error: --append and --overwrite do not go together: --append adds rows to the table, --overwrite replaces"
            + " them", "--input", "i", "--output-table", "t", "--append", "--overwrite"},
        {"error: --append is only for Delta output (--output-format delta) and tables (--output-table): a parquet"
            + " output is written whole", "--input", "i", "--output", "o", "--append"},
        {"error: --append is only for Delta output (--output-format delta) and tables (--output-table): a json"
            + " output is written whole", "--input", "i", "--output", "o", "--output-format", "json", "--append"},
        {"error: give either --input or --input-table, not both", "--input", "i", "--input-table", "t", "--output",
            "o"},
        {"error: give either --output or --output-table, not both", "--input", "i", "--output", "o",
            "--output-table", "t"},
        {"error: Missing required option: '--input=PATH' (or --input-table NAME)", "--output", "o"},
        {"error: --output-table takes --output-format parquet, orc, json or delta, not csv", "--input", "i",
            "--output-table", "t", "--output-format", "csv"},
        {"error: --input-format is for --input: --input-table reads the table in its own format", "--input-table", "t",
            "--input-format", "delta", "--output", "o"},
    };
    for (String[] c : cases) {
      String[] args = java.util.Arrays.copyOfRange(c, 1, c.length + 2);
      args[args.length - 2] = "--method";
      args[args.length - 1] = "layer";
      JobRun run = JobRun.of(args);
      assertEquals(2, run.exit(), run.err());
      assertEquals(List.of(c[0]), run.errorLines());
      assertEquals("", run.out());
    }
  }
}
