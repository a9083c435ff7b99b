package io.sparknorm.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparknorm.core.GoldenChecks;
import io.sparknorm.core.GoldenFiles;
import io.sparknorm.testing.ChildProcess;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * PyTorch golden cases of {@code data/golden/cases} through the built job jar and {@code local-runner/spark-submit}:
 * (b) Parquet in, JSON lines out, every float32 case in its dtype; and (a) JSON lines in, Parquet out, for one float64
 * case per method (JSON carries doubles only; every float64 case goes through the job's JSON path in-process in
 * spark-job's {@code GoldenJobTest}, and the library, the SQL functions and the DataFrame API have golden tests too). Also the
 * running-statistics goldens in evaluation mode ({@code --stats-in}).
 *
 * <p>Element types. The job reads JSON with Spark's schema inference, which makes every decimal number a double: JSON
 * cannot carry float elements ({@link #jsonCannotCarryFloatElements} checks exactly that). So:
 * <ul>
 *   <li>(a) JSON in: float64 cases through the job's double path; the output is array&lt;double&gt; (the
 *       contract: double in, double out).</li>
 *   <li>(b) Parquet in carries the golden dtype: array&lt;float&gt; for the float32 cases (the job's float path;
 *       Parquet of doubles goes through spark-submit in ClusterIT, HdfsIT and ScaleIT). The JSON output of a float32
 *       case must be float (every number written
 *       with at most 9 significant digits, as Spark writes a float; a double takes up to 17).</li>
 * </ul>
 *
 * <p>Tolerances (data/README.md): float32 1e-5 absolute; float64 1e-9, relative for |value| &gt; 1, against
 * {@code output_exact} where the file has it, and against torch's {@code output} only as closely as torch agrees with the
 * exact values (max(1e-9, 2 |output - output_exact|)). Batch statistics ({@code --stats-out}): 1e-12 relative, the same
 * way against the exact statistics where present.
 *
 * <p>Runs two spark-submits at a time (see {@link JobSubmitter}); each input row carries its number in {@code row}
 * and a pass-through column {@code tag}, and the output is matched to the input by {@code row}.
 */
@ExtendWith(SubmitSuite.class)
class GoldenSubmitIT {

  /** Set by {@link SubmitSuite}. */
  private static SparkSession spark;
  private static WorkDir work;
  private static JobSubmitter submit;

  /**
   * (b)'s cases: every float32 case, in its dtype (float arrays in Parquet, float out). The float64 cases go through the
   * job in-process, every one, in spark-job's {@code GoldenJobTest}, through spark-submit with JSON in by (a), and
   * Parquet of doubles goes through spark-submit in ClusterIT, HdfsIT and ScaleIT: a spark-submit each here would add
   * three minutes to every build.
   */
  static Stream<GoldenFiles.Case> cases() {
    return GoldenFiles.cases().stream().filter(c -> !c.isDouble());
  }

  /**
   * (a)'s cases: per method, the float64 case on 1e8 + noise (the hardest on the statistics). Every float64 case goes
   * through the job's JSON path in-process in spark-job's {@code GoldenJobTest}; a spark-submit each would add minutes.
   */
  static Stream<GoldenFiles.Case> jsonCases() {
    return GoldenFiles.cases().stream().filter(c -> c.isDouble() && c.name().contains("_1e8noise_"));
  }

  static Stream<GoldenFiles.Running> running() {
    return GoldenFiles.running().stream();
  }

  @Test
  void everyGoldenCaseIsThere() {
    GoldenChecks.assertEveryGoldenIsRead();
    assertEquals(List.of("batch", "group", "instance", "layer"),
        jsonCases().map(c -> c.method().id()).sorted().toList(),
        "(a) has one case per method");
  }

  /** Why (a) tests the double path only: Spark's JSON reader infers double for decimals, even for floats written. */
  @Test
  void jsonCannotCarryFloatElements() {
    Path dir = work.newDir("json-float");
    StructType schema = new StructType().add("row", DataTypes.LongType)
        .add("features", DataTypes.createArrayType(DataTypes.FloatType));
    TestSpark.write(spark, List.of(RowFactory.create(0L, List.of(0.1f, 1.5f))), schema, "json", dir.resolve("f.json"));
    Dataset<Row> back = spark.read().json(dir.resolve("f.json").toString());
    assertEquals(DataTypes.DoubleType, TestSpark.elementType(back.schema(), "features"),
        "Spark's JSON inference now keeps float elements: make (a) test the float path too");
  }

  @ParameterizedTest(name = "{0}: json in, parquet out")
  @MethodSource("jsonCases")
  @Execution(ExecutionMode.CONCURRENT)
  void jsonInParquetOut(GoldenFiles.Case c) {
    Path dir = work.newDir(c.name() + "-a");
    Path input = dir.resolve("input.json");
    TestSpark.write(spark, inputRows(c.input(), false), inputSchema(DataTypes.DoubleType), "json", input);
    Path output = dir.resolve("output.parquet");
    Path stats = c.isBatch() ? dir.resolve("stats.json") : null;

    ChildProcess.Result result = submit.run(c.name() + " json->parquet",
        jobArgs(c, dir, input, "json", output, "parquet", stats));

    assertEquals(0, result.exitCode(), result::describe);
    assertSummary(result, c.input().length);
    Dataset<Row> out = TestSpark.readParquet(spark, output);
    assertEquals(DataTypes.DoubleType, TestSpark.elementType(out.schema(), "features"),
        "double input (JSON) must give double output: " + out.schema().simpleString());
    Map<Long, double[]> byRow = new HashMap<>();
    for (Row row : out.collectAsList()) {
      long r = row.getLong(row.fieldIndex("row"));
      assertEquals("r" + r, row.getString(row.fieldIndex("tag")), "pass-through column of row " + r);
      assertNull(byRow.put(r, TestSpark.doubles(row, "features")), "row " + r + " twice in the output");
    }
    checkOutput(c, byRow, "json->parquet");
    if (stats != null) {
      checkStatistics(c, stats);
    }
  }

  @ParameterizedTest(name = "{0}: parquet in, json out")
  @MethodSource("cases")
  @Execution(ExecutionMode.CONCURRENT)
  void parquetInJsonOut(GoldenFiles.Case c) {
    Path dir = work.newDir(c.name() + "-b");
    Path input = dir.resolve("input.parquet");
    // Parquet carries the golden dtype: array<float> for float32 (the job's float path), array<double> for float64.
    TestSpark.write(spark, inputRows(c.input(), !c.isDouble()),
        inputSchema(c.isDouble() ? DataTypes.DoubleType : DataTypes.FloatType), "parquet", input);
    Path output = dir.resolve("output.json");
    Path stats = c.isBatch() ? dir.resolve("stats.json") : null;

    ChildProcess.Result result = submit.run(c.name() + " parquet->json",
        jobArgs(c, dir, input, "parquet", output, "json", stats));

    assertEquals(0, result.exitCode(), result::describe);
    assertSummary(result, c.input().length);
    Map<Long, double[]> byRow = new HashMap<>();
    List<String> notFloat = new ArrayList<>();
    for (JsonNode row : TestSpark.readJsonLines(output)) {
      long r = row.get("row").asLong();
      assertEquals("r" + r, row.path("tag").asText(null), "pass-through column of row " + r);
      JsonNode features = row.get("features");
      assertNotNull(features, "no features in output row " + row);
      if (!c.isDouble()) {
        // Float output: Spark writes a float with at most 9 significant digits, a double with up to 17.
        for (JsonNode v : features) {
          BigDecimal d = v.decimalValue().stripTrailingZeros();
          if (d.precision() > 9 && notFloat.size() < 5) {
            notFloat.add("row " + r + ": " + v.asText());
          }
        }
      }
      assertNull(byRow.put(r, TestSpark.doubles(features)), "row " + r + " twice in the output");
    }
    assertTrue(notFloat.isEmpty(), "float input (Parquet array<float>) must give float output; written as double: "
        + notFloat);
    checkOutput(c, byRow, "parquet->json");
    if (stats != null) {
      checkStatistics(c, stats);
    }
  }

  /**
   * PyTorch's eval mode: batch norm with the running statistics after the last training batch ({@code --stats-in}
   * holding running_mean and running_var as mean and var) on the last batch, against {@code eval_output}.
   */
  @ParameterizedTest(name = "{0}: --stats-in with the running statistics")
  @MethodSource("running")
  @Execution(ExecutionMode.CONCURRENT)
  void evalModeWithRunningStatistics(GoldenFiles.Running r) {
    Path dir = work.newDir(r.name());
    int last = r.batches().size() - 1;
    double[][] batch = r.batches().get(last);
    Path input = dir.resolve("input.parquet");
    TestSpark.write(spark, inputRows(batch, !r.isDouble()),
        inputSchema(r.isDouble() ? DataTypes.DoubleType : DataTypes.FloatType), "parquet", input);
    ObjectNode statsIn = TestSpark.JSON.createObjectNode();
    putArray(statsIn, "mean", r.runningMean().get(last));
    putArray(statsIn, "var", r.runningVar().get(last));
    Path statsFile = dir.resolve("running.json");
    TestSpark.writeString(statsFile, statsIn.toString());
    Path output = dir.resolve("output.parquet");
    List<String> args = new ArrayList<>(List.of("--input", input.toString(), "--output", output.toString(),
        "--method", "batch", "--shape", r.shapeArg(), "--eps", Double.toString(r.eps()),
        "--stats-in", statsFile.toString()));
    if (r.hasAffine()) {
      args.addAll(List.of("--affine", GoldenFiles.writeAffine(dir.resolve("affine.json"), r.weight(), r.bias())
          .toString()));
    }

    ChildProcess.Result result = submit.run(r.name() + " eval (--stats-in)", args);

    assertEquals(0, result.exitCode(), result::describe);
    assertSummary(result, batch.length);
    Dataset<Row> out = TestSpark.readParquet(spark, output);
    assertEquals(r.isDouble() ? DataTypes.DoubleType : DataTypes.FloatType,
        TestSpark.elementType(out.schema(), "features"));
    List<Row> rows = out.collectAsList();
    assertEquals(batch.length, rows.size());
    double[][] got = new double[batch.length][];
    for (Row row : rows) {
      int i = (int) row.getLong(row.fieldIndex("row"));
      assertNull(got[i], "row " + i + " twice in the output");
      got[i] = TestSpark.doubles(row, "features");
    }
    GoldenChecks.assertRows(r.name() + " eval (torch's eval output)", r.isDouble(), r.evalOutput(), null, got);
  }

  // ------------------------------------------------------------------------------------------------------------

  private static StructType inputSchema(DataType element) {
    return new StructType()
        .add("row", DataTypes.LongType, false)
        .add("tag", DataTypes.StringType, false)
        .add("features", DataTypes.createArrayType(element, false), true);
  }

  private static List<Row> inputRows(double[][] samples, boolean asFloat) {
    List<Row> rows = new ArrayList<>(samples.length);
    for (int i = 0; i < samples.length; i++) {
      List<Object> values = new ArrayList<>(samples[i].length);
      for (double v : samples[i]) {
        if (asFloat) {
          float f = (float) v;
          assertEquals(v, f, 0.0, "a float32 golden value that is no float: " + v);
          values.add(f);
        } else {
          values.add(v);
        }
      }
      rows.add(RowFactory.create((long) i, "r" + i, values));
    }
    return rows;
  }

  private static List<String> jobArgs(GoldenFiles.Case c, Path dir, Path input, String inFormat, Path output,
                    String outFormat, Path stats) {
    List<String> args = new ArrayList<>(List.of(
        "--input", input.toString(), "--input-format", inFormat,
        "--output", output.toString(), "--output-format", outFormat));
    args.addAll(c.jobOptions(dir));
    if (stats != null) {
      args.addAll(List.of("--stats-out", stats.toString()));
    }
    return args;
  }

  private static void putArray(ObjectNode node, String key, double[] values) {
    ArrayNode array = node.putArray(key);
    for (double v : values) {
      array.add(v);
    }
  }

  /** The summary line on standard output: all rows in and out, none skipped. */
  private static void assertSummary(ChildProcess.Result result, int rows) {
    String out = result.stdout();
    assertTrue(out.contains("rows_in=" + rows + " ") && out.contains("rows_out=" + rows + " ")
        && out.contains("rows_skipped=0"), () -> "summary line: " + result.describe());
  }

  /** Row count, every row once, and every value of every row against the golden output of that row. */
  private static void checkOutput(GoldenFiles.Case c, Map<Long, double[]> byRow, String how) {
    int n = c.input().length;
    assertEquals(n, byRow.size(), c.name() + " " + how + ": rows out");
    double[][] got = new double[n][];
    for (int i = 0; i < n; i++) {
      got[i] = byRow.get((long) i);
    }
    GoldenChecks.assertRows(c.name() + " " + how, c.isDouble(), c.output(), c.exactOutput(), got);
  }

  /** The --stats-out file against the golden statistics. */
  private static void checkStatistics(GoldenFiles.Case c, Path file) {
    assertTrue(Files.isRegularFile(file), "no --stats-out file " + file);
    JsonNode stats = TestSpark.readJson(file);
    assertEquals("batch", stats.path("method").asText(), "method in " + stats);
    assertEquals(c.eps(), stats.path("eps").asDouble(Double.NaN), "eps in " + stats);
    GoldenChecks.assertStatistics(c, stats, c.name() + " --stats-out");
  }

}
