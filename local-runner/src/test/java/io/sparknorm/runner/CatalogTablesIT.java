package io.sparknorm.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.testing.ChildProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * The job on tables of the session's catalog, through {@code spark-submit}: Spark's Hive catalog on an embedded Derby
 * metastore, alone or with Delta's catalog. A table one job writes with {@code --output-table} the next reads by name
 * with {@code --input-table}; a missing table, an output table that is a view or already exists, and a tensor column
 * of the wrong type each end the job with exit 1 and one {@code error:} line naming the table.
 *
 * <p>Each test has a metastore of its own ({@link Metastore}): Derby lets one JVM at a time open a database, so the
 * runs on one metastore go one after the other, and the test JVM never opens it: it reads a table's files from the
 * warehouse folder.
 */
@ExtendWith(SubmitSuite.class)
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class CatalogTablesIT {
  private static final int DIGITS = 1797;
  private static final double EPS = 1e-5;

  /** Set by {@link SubmitSuite}; replaced by a session that reads Delta. */
  private static SparkSession spark;
  private static WorkDir work;
  private static JobSubmitter submit;
  private static SubmitSuite.Report report;

  private static Path digits;
  private static List<String> deltaConf;

  @BeforeAll
  static void setUp() {
    TestSpark.stop(spark);
    spark = TestSpark.startWithDelta("CatalogTablesIT reads");
    digits = ReadmeCommand.root().resolve("data/digits.jsonl");
    deltaConf = DeltaIT.sparkConf(ReadmeCommand.find("--output-format delta"));
  }

  /**
   * A Hive metastore on embedded Derby and its warehouse, both in {@code dir}; Derby's log and Hive's resources
   * folder go there too, not into the working directory or /tmp.
   */
  record Metastore(Path dir) {
    Path warehouse() {
      return dir.resolve("warehouse");
    }

    /** The {@code --conf} settings of a run on this metastore, with or without Delta's catalog. */
    List<String> conf(boolean delta) {
      List<String> conf = new ArrayList<>(List.of(
          "spark.sql.catalogImplementation=hive",
          "spark.sql.warehouse.dir=" + warehouse(),
          "spark.hadoop.javax.jdo.option.ConnectionURL=jdbc:derby:;databaseName=" + dir.resolve("metastore_db")
              + ";create=true",
          "spark.hadoop.hive.downloaded.resources.dir=" + dir.resolve("resources"),
          "spark.driver.extraJavaOptions=-Dderby.system.home=" + dir));
      if (delta) {
        conf.addAll(deltaConf);
      }
      return conf;
    }
  }

  private static void assertCounts(ChildProcess.Result result, int in, int out) {
    assertEquals(0, result.exitCode(), result::describe);
    assertTrue(result.stdout().contains(" rows_in=" + in + " rows_out=" + out + " "), result::describe);
  }

  private static String error(ChildProcess.Result result) {
    String error = DeltaIT.oneError(result);
    report.add("%s", error);
    return error;
  }

  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void aHiveParquetTableWrittenByOneJobIsReadByNameByTheNext() {
    Metastore metastore = new Metastore(work.newDir("hive"));
    Dataset<Row> table = roundTrip(metastore, false, "digits_group");
    assertTrue(Files.isRegularFile(metastore.dir().resolve("derby.log")), "Derby's log in the test's folder");
    assertEquals(DIGITS, table.count());
  }

  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void aDeltaTableOfTheCatalogWrittenByOneJobIsReadByNameByTheNext() {
    Metastore metastore = new Metastore(work.newDir("delta"));
    roundTrip(metastore, true, "digits_delta");
    DeltaFolder folder = new DeltaFolder(metastore.warehouse().resolve("digits_delta"));
    assertEquals(List.of(0L), folder.versions(), "one commit");
    assertEquals("group", folder.userMetadata(spark, 0).get("method").asText());
  }

  /**
   * Group norm of the digits into table {@code name}, then layer norm from it by name into Parquet: the second job's
   * rows are the layer norm of the table's rows (read from the warehouse folder), to float32's 1e-5.
   *
   * @return the table's rows
   */
  private static Dataset<Row> roundTrip(Metastore metastore, boolean delta, String name) {
    List<String> write = new ArrayList<>(List.of("--input", digits.toString(), "--output-table", name, "--method",
        "group", "--shape", "1,8,8", "--groups", "1"));
    if (delta) {
      write.addAll(List.of("--output-format", "delta"));
    }
    assertCounts(submit.run("group norm into table " + name, metastore.conf(delta), write), DIGITS, DIGITS);
    Path location = metastore.warehouse().resolve(name);
    Dataset<Row> table = delta ? new DeltaFolder(location).frame(spark) : spark.read().parquet(location.toString());

    Path output = metastore.dir().resolve("layer.parquet");
    assertCounts(submit.run("layer norm from table " + name, metastore.conf(delta), List.of("--input-table", name,
        "--output", output.toString(), "--method", "layer", "--shape", "64")), DIGITS, DIGITS);
    Map<Long, double[]> source = new HashMap<>();
    for (Row row : table.collectAsList()) {
      source.put(row.getLong(row.fieldIndex("id")), TestSpark.doubles(row, "features"));
    }
    assertEquals(DIGITS, source.size(), "every id once in the table");
    List<Row> rows = spark.read().parquet(output.toString()).collectAsList();
    assertEquals(DIGITS, rows.size());
    for (Row row : rows) {
      double[] x = source.remove(row.getLong(row.fieldIndex("id")));
      double[] got = TestSpark.doubles(row, "features");
      double mean = 0;
      for (double v : x) {
        mean += v / x.length;
      }
      double var = 0;
      for (double v : x) {
        var += (v - mean) * (v - mean) / x.length;
      }
      for (int i = 0; i < x.length; i++) {
        assertEquals((x[i] - mean) / Math.sqrt(var + EPS), got[i], 1e-5, "id " + row.get(0) + " [" + i + "]");
      }
    }
    assertTrue(source.isEmpty(), "rows of the table missing from the output: " + source.keySet());
    return table;
  }

  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void aMissingInputTableIsNamed() {
    Metastore metastore = new Metastore(work.newDir("missing"));
    Path output = metastore.dir().resolve("out");
    ChildProcess.Result result = submit.run("--input-table of a missing table", metastore.conf(false), List.of(
        "--input-table", "no_such_table", "--output", output.toString(), "--method", "layer"));
    assertEquals("error: input table no_such_table does not exist", error(result));
    assertFalse(Files.exists(output));
  }

  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void aViewAnExistingTableAndAWrongTensorTypeAreRefusedBeforeAnyWrite() {
    Metastore metastore = new Metastore(work.newDir("refused"));
    List<String> conf = metastore.conf(false);
    ChildProcess.Result made = submit.runSql("a view and two tables", conf, List.of(
        "CREATE TABLE wrong_type USING parquet AS SELECT id, map('a', 1d) AS features FROM range(3)",
        "CREATE VIEW a_view AS SELECT id, array(1d, 2d) AS features FROM range(3)",
        "CREATE TABLE existing USING parquet AS SELECT id, array(1d, 2d) AS features FROM range(3)"));
    assertEquals(0, made.exitCode(), made::describe);
    List<String> existing = WorkDir.list(metastore.warehouse().resolve("existing"));
    Path output = metastore.dir().resolve("out");

    assertEquals("error: output table a_view is a view; give a table", error(submit.run(
        "--output-table naming a view", conf, List.of("--input", digits.toString(), "--output-table", "a_view",
            "--method", "layer"))));
    assertEquals("error: output table existing already exists; give --overwrite to replace its rows or --append to"
        + " add rows", error(submit.run("--output-table naming an existing table", conf, List.of("--input",
            digits.toString(), "--output-table", "existing", "--method", "layer"))));
    assertEquals(existing, WorkDir.list(metastore.warehouse().resolve("existing")), "the table's files as they were");
    String wrong = error(submit.run("--input-table with a map column", conf, List.of("--input-table",
        "wrong_type", "--output", output.toString(), "--method", "layer")));
    assertTrue(wrong.startsWith("error: input table wrong_type: column 'features' is of type map<string,double>;"
        + " the tensor column must be"), wrong);
    assertFalse(Files.exists(output));
    assertEquals(List.of("existing", "wrong_type"), WorkDir.list(metastore.warehouse()),
        "nothing staged or made by the refused runs");
  }
}
