package io.sparknorm.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparknorm.testing.ChildProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
 * The job writing Delta tables through {@code spark-submit}: the README's Delta command as it stands (bit for bit the
 * same job's Parquet), its history command showing the commit's record, one commit per {@code --append}, and a run
 * without Delta on the class path.
 *
 * <p>Every job run gets Delta as the README's command gives it (its {@code --jars} and {@code --conf} words); the test
 * JVM reads the tables back with the same Delta release ({@link DeltaFolder}). Versions and time travel after
 * {@code --overwrite}, a failed job and two jobs racing for one table are in {@link DeltaFaultsIT}.
 */
@ExtendWith(SubmitSuite.class)
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class DeltaIT {
  private static final int DIGITS = 1797;

  /** Set by {@link SubmitSuite}; replaced by a session that reads Delta. */
  private static SparkSession spark;
  private static WorkDir work;
  private static JobSubmitter submit;
  private static SubmitSuite.Report report;

  private static ReadmeCommand readme;
  private static List<String> deltaConf;
  private static Path digits;

  @BeforeAll
  static void setUp() {
    TestSpark.stop(spark);
    spark = TestSpark.startWithDelta("DeltaIT reads");
    readme = ReadmeCommand.find("--output-format delta");
    deltaConf = sparkConf(readme);
    digits = ReadmeCommand.root().resolve(readme.value("--input"));
  }

  /** The README command's Delta settings as {@code --conf} values: its {@code --jars} (from the root) and its confs. */
  static List<String> sparkConf(ReadmeCommand command) {
    List<String> conf = new ArrayList<>();
    List<String> jars = new ArrayList<>();
    for (String jar : command.value("--jars").split(",")) {
      jars.add(ReadmeCommand.root().resolve(jar).toString());
    }
    conf.add("spark.jars=" + String.join(",", jars));
    List<String> words = command.words();
    for (int i = 0; i < words.size() - 1; i++) {
      if (words.get(i).equals("--conf")) {
        conf.add(words.get(i + 1));
      }
    }
    return conf;
  }

  private static void assertCounts(ChildProcess.Result result, int in, int out) {
    assertEquals(0, result.exitCode(), result::describe);
    assertTrue(result.stdout().contains(" rows_in=" + in + " rows_out=" + out + " "), result::describe);
  }

  /** Exit 1 and exactly one {@code error:} line, which is returned. */
  static String oneError(ChildProcess.Result result) {
    assertEquals(1, result.exitCode(), result::describe);
    List<String> errors = result.stderr().lines().filter(l -> l.startsWith("error:")).toList();
    assertEquals(1, errors.size(), result::describe);
    return errors.get(0);
  }

  private static String error(ChildProcess.Result result) {
    String error = oneError(result);
    report.add("%s", error);
    return error;
  }

  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void theReadmeCommandWritesOneCommitBitIdenticalToParquetAndAnAppendAddsOne() throws IOException {
    Path dir = work.newDir("readme");
    DeltaFolder table = new DeltaFolder(dir.resolve("digits-delta"));
    ChildProcess.Result made = submit.runAsIs("the README's Delta command", ReadmeCommand.root(),
        readme.replace(readme.value("--output"), table.path().toString()).arguments());
    assertCounts(made, DIGITS, DIGITS);
    assertEquals(List.of(0L), table.versions());

    // The same job's arguments with Parquet out, and no Delta on the class path.
    List<String> job = new ArrayList<>(readme.with("--output", dir.resolve("digits.parquet").toString())
        .with("--input", digits.toString()).after("spark-job/target/sparknorm-job.jar"));
    job.removeAll(List.of("--output-format", "delta"));
    assertCounts(submit.run("the same job, Parquet out", job), DIGITS, DIGITS);
    Dataset<Row> parquet = spark.read().parquet(dir.resolve("digits.parquet").toString());
    DeltaFolder.assertSameRows(parquet, table.frame(spark));

    // The README's history command shows the commit's record.
    ChildProcess.Result history = submit.runAsIs("the README's history command", ReadmeCommand.root(),
        ReadmeCommand.find("DESCRIBE HISTORY").replace(readme.value("--output"), table.path().toString())
            .arguments());
    assertEquals(0, history.exitCode(), history::describe);
    List<String> lines = history.stdout().lines().toList();
    assertEquals(2, lines.size(), "a header and version 0: " + lines);
    String shown = lines.get(1).split("\t")[List.of(lines.get(0).split("\t")).indexOf("userMetadata")];
    JsonNode how = TestSpark.JSON.readTree(shown);
    assertEquals(table.userMetadata(spark, 0), how);
    assertEquals("group", how.get("method").asText(), how::toString);
    assertEquals("[1,8,8]", how.get("shape").toString());
    assertEquals(1e-5, how.get("eps").asDouble());
    assertEquals(1, how.get("groups").asInt());
    assertTrue(how.get("stats_out").isNull(), how::toString);

    // --append: one more commit holding the same job's rows again; version 0 as it was.
    List<String> append = new ArrayList<>(readme.with("--output", table.path().toString())
        .with("--input", digits.toString()).after("spark-job/target/sparknorm-job.jar"));
    append.remove("--overwrite");
    append.add("--append");
    assertCounts(submit.run("the README's Delta command with --append", deltaConf, append), DIGITS, DIGITS);
    assertEquals(List.of(0L, 1L), table.versions());
    Row commit = table.history(spark).get(1);
    assertEquals("WRITE", commit.getString(commit.fieldIndex("operation")));
    assertEquals("Append", commit.<String, String>getJavaMap(commit.fieldIndex("operationParameters")).get("mode"));
    DeltaFolder.assertSameRows(parquet, table.frame(spark, 0));
    DeltaFolder.assertSameRows(parquet.union(parquet), table.frame(spark));
  }

  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void withoutDeltaOnTheClassPathTheJobSaysWhatToAdd() {
    Path dir = work.newDir("no-delta");
    Path output = dir.resolve("table");
    String error = error(submit.run("--output-format delta without Delta", List.of("--input", digits.toString(),
        "--output", output.toString(), "--output-format", "delta", "--method", "layer")));
    assertTrue(error.contains("needs Delta Lake"), error);
    assertTrue(error.contains("io.delta:delta-spark_4.2_2.13:4.4.0"), error);
    assertFalse(Files.exists(output), "nothing at the output: " + WorkDir.list(dir));
  }
}
