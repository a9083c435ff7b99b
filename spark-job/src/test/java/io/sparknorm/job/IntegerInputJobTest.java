package io.sparknorm.job;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparknorm.core.GoldenFiles;
import io.sparknorm.core.IntegerGoldens;
import io.sparknorm.core.NormMethod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Integer tensors through the job, on their exact values: every integer golden (int32 and int64,
 * beyond 2^24 and 2^53, every method) read from JSON (where Spark reads integers as bigint) and
 * from Parquet (int or bigint arrays), against the exact rational references: float output within
 * one float32 ulp of the exact value, batch statistics the exact ones correctly rounded, bit for
 * bit. Also per key, mini-batch replay, stats-only and the report's sketches.
 */
class IntegerInputJobTest extends JobTestSupport {
  private static final ObjectMapper JSON = new ObjectMapper();

  static Stream<Arguments> casesAndFormats() {
    return IntegerGoldens.cases().stream().flatMap(c -> Stream.of(Arguments.of(c, "json"), Arguments.of(c, "parquet")));
  }

  /** The case's rows as a frame of (id, features), features an array of int (int32 cases) or bigint. */
  static Dataset<Row> frame(IntegerGoldens.Case c, String key) {
    DataType element = c.isLong() ? DataTypes.LongType : DataTypes.IntegerType;
    StructType schema = new StructType().add("id", DataTypes.IntegerType).add("key", DataTypes.StringType)
        .add("features", new ArrayType(element, false));
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < c.input().length; i++) {
      Object[] values = Arrays.stream(c.input()[i]).mapToObj(v -> c.isLong() ? (Object) v : (Object) (int) v)
          .toArray();
      rows.add(RowFactory.create(i, key, values));
    }
    return spark.createDataFrame(rows, schema).repartition(3);
  }

  private Path write(Dataset<Row> frame, String format, String name) {
    Path path = dir.resolve(name + "." + format);
    frame.write().format(format).save(path.toString());
    return path;
  }

  private static String shape(IntegerGoldens.Case c) {
    return GoldenFiles.shapeArg(c.shape());
  }

  /** The job's arguments for the case (method, shape, groups, eps, affine) on this input. */
  private List<String> arguments(IntegerGoldens.Case c, Path input, String format, Path output) throws IOException {
    List<String> args = new ArrayList<>(List.of("--input", input.toString(), "--input-format", format,
        "--output", output.toString(), "--method", c.method().id(), "--shape", shape(c), "--eps",
        Double.toString(c.eps()), "--id-col", "id"));
    if (c.method() == NormMethod.GROUP) {
      args.addAll(List.of("--groups", Integer.toString(c.groups())));
    }
    if (c.weight() != null) {
      Path affine = dir.resolve("affine.json");
      Files.writeString(affine, JSON.writeValueAsString(java.util.Map.of("weight", c.weight(), "bias", c.bias())));
      args.addAll(List.of("--affine", affine.toString()));
    }
    return args;
  }

  @ParameterizedTest(name = "{0} from {1}")
  @MethodSource("casesAndFormats")
  void theJobNormalizesTheExactIntegers(IntegerGoldens.Case c, String format) throws IOException {
    Path input = write(frame(c, "a"), format, "in");
    Path output = results.resolve("out");
    Path stats = results.resolve("stats.json");
    List<String> args = arguments(c, input, format, output);
    if (c.method() == NormMethod.BATCH) {
      args.addAll(List.of("--stats-out", stats.toString()));
    }
    JobRun run = JobRun.of(args.toArray(new String[0]));
    run.assertSucceeded(c.method().id(), c.input().length, c.input().length, 0, 0);
    assertOutputs(c, spark.read().parquet(output.toString()), 0);
    if (c.method() == NormMethod.BATCH) {
      assertStatistics(c, JSON.readTree(stats.toFile()));
    }
  }

  /** Float output (the contract's type for integer input), each within one float32 ulp of the exact value. */
  static void assertOutputs(IntegerGoldens.Case c, Dataset<Row> output, int firstId) {
    assertEquals("array<float>", output.schema().apply("features").dataType().simpleString());
    List<Row> rows = output.orderBy("id").collectAsList();
    assertEquals(c.input().length, rows.size());
    for (Row row : rows) {
      int i = ((Number) row.get(row.fieldIndex("id"))).intValue() - firstId;
      List<Object> values = row.getList(row.fieldIndex("features"));
      for (int j = 0; j < values.size(); j++) {
        double exact = c.exactOutput()[i][j];
        assertEquals(exact, (Float) values.get(j), IntegerGoldens.floatUlp(exact), c + " row " + i + " [" + j + "]");
      }
    }
  }

  /** Each statistic the exact value correctly rounded: bit for bit. */
  static void assertStatistics(IntegerGoldens.Case c, JsonNode node) {
    assertEquals(c.count(), node.get("count").asLong());
    assertEquals("exact-sums", node.get("algorithm").asText());
    for (int ch = 0; ch < c.shape().channels(); ch++) {
      assertEquals(c.mean()[ch], node.get("mean").get(ch).asDouble(), 0, c + " mean[" + ch + "]");
      assertEquals(c.meanResidual()[ch], node.get("mean_residual").get(ch).asDouble(), 0, c + " mean_residual");
      assertEquals(c.variance()[ch], node.get("var").get(ch).asDouble(), 0, c + " var[" + ch + "]");
      assertEquals(c.unbiasedVariance()[ch], node.get("var_unbiased").get(ch).asDouble(), 0, c + " var_unbiased");
      assertEquals(c.std()[ch], node.get("std").get(ch).asDouble(), 0, c + " std[" + ch + "]");
    }
  }

  @Test
  void theDefectsExampleFromJsonHasItsExactStatistics() throws IOException {
    IntegerGoldens.Case c = IntegerGoldens.named("batch_c2_above2p24_int64");
    Path input = dir.resolve("rows.json");
    Files.write(input, IntStream.range(0, c.input().length)
        .mapToObj(i -> "{\"id\": " + i + ", \"features\": " + Arrays.toString(c.input()[i]) + "}").toList());
    assertEquals("array<bigint>", spark.read().json(input.toString()).schema().apply("features").dataType()
        .simpleString());
    Path stats = results.resolve("stats.json");
    JobRun.of("--input", input.toString(), "--output", results.resolve("out").toString(), "--method", "batch",
        "--shape", "2", "--stats-out", stats.toString()).assertSucceeded("batch", 20, 20, 0, 0);
    JsonNode node = JSON.readTree(stats.toFile());
    assertEquals(1000000029.5, node.get("mean").get(1).asDouble(), 0);
    assertEquals(299.25, node.get("var").get(1).asDouble(), 0);
    assertEquals(33.25, node.get("var").get(0).asDouble(), 0);
  }

  @Test
  void perKeyStatisticsAreEachKeysExactOnes() throws IOException {
    IntegerGoldens.Case wide = IntegerGoldens.named("batch_c2_above2p53_int64");
    IntegerGoldens.Case narrow = IntegerGoldens.named("batch_c2_above2p24_int64");
    Dataset<Row> both = frame(wide, "wide").union(frame(narrow, "narrow")
        .selectExpr("id + 100 AS id", "key", "features"));
    Path input = write(both, "parquet", "keyed");
    Path stats = results.resolve("stats.json");
    List<String> args = arguments(wide, input, "parquet", results.resolve("out"));
    args.addAll(List.of("--by", "key", "--stats-out", stats.toString()));
    JobRun.of(args.toArray(new String[0])).assertSucceeded("batch", 40, 40, 0, 0);
    JsonNode keys = JSON.readTree(stats.toFile()).get("keys");
    for (JsonNode entry : keys) {
      assertStatistics(entry.get("key").get("key").asText().equals("wide") ? wide : narrow, entry);
    }
    Dataset<Row> out = spark.read().parquet(results.resolve("out").toString());
    assertOutputs(wide, out.filter("key = 'wide'"), 0);
  }

  @Test
  void statsOnlyWritesTheExactStatistics() throws IOException {
    IntegerGoldens.Case c = IntegerGoldens.named("batch_c3x4_timestamps_int64");
    Path input = write(frame(c, "a"), "json", "in");
    Path stats = results.resolve("stats.json");
    JobRun run = JobRun.of("--input", input.toString(), "--method", "batch", "--shape", "3,4", "--stats-only",
        "--stats-out", stats.toString());
    assertEquals(0, run.exit(), run.err());
    assertStatistics(c, JSON.readTree(stats.toFile()));
  }

  @Test
  void aReplayOfOneBatchNormalizesWithItsExactStatistics() throws IOException {
    IntegerGoldens.Case c = IntegerGoldens.named("batch_c2_above2p53_int64");
    Path input = write(frame(c, "a"), "parquet", "in");
    Path stats = results.resolve("stats.json");
    List<String> args = arguments(c, input, "parquet", results.resolve("out"));
    args.addAll(List.of("--batch-size", "64", "--order-by", "id", "--stats-out", stats.toString()));
    JobRun run = JobRun.of(args.toArray(new String[0]));
    assertEquals(0, run.exit(), run.err());
    assertOutputs(c, spark.read().parquet(results.resolve("out").toString()), 0);
    // PyTorch's update from running_mean 0 with momentum 0.1, on the exact batch mean.
    JsonNode running = JSON.readTree(stats.toFile()).get("running_mean");
    for (int ch = 0; ch < 2; ch++) {
      assertEquals(0.1 * c.mean()[ch], running.get(ch).asDouble(), Math.ulp(0.1 * c.mean()[ch]) * 2, "running_mean");
    }
  }

  @Test
  void theReportSketchesTheExactIntegers() throws IOException {
    IntegerGoldens.Case c = IntegerGoldens.named("batch_c2_above2p24_int64");
    Path input = write(frame(c, "a"), "json", "in");
    Path report = results.resolve("report.html");
    JobRun.of("--input", input.toString(), "--output", results.resolve("out").toString(), "--method", "batch",
        "--shape", "2", "--report", report.toString()).assertSucceeded("batch", 20, 20, 0, 0);
    String html = Files.readString(report);
    List<String> minimums = attributes(html, "data-min");
    List<String> maximums = attributes(html, "data-max");
    assertEquals(2, minimums.size(), "one row a channel");
    // Channel 1 runs from 1,000,000,001 to 1,000,000,058: a float holds neither.
    assertEquals(1000000001.0, Double.parseDouble(minimums.get(1)), 0);
    assertEquals(1000000058.0, Double.parseDouble(maximums.get(1)), 0);
    assertEquals(16777217.0, Double.parseDouble(minimums.get(0)), 0);
  }

  private static List<String> attributes(String html, String name) {
    List<String> values = new ArrayList<>();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("<tr [^>]*" + name + "=\"([^\"]*)\"").matcher(html);
    while (m.find()) {
      values.add(m.group(1));
    }
    return values;
  }

  @Test
  void aConstantGroupOfWideLongsWithEpsZeroIsAnInvalidRow() throws IOException {
    long wide = (1L << 60) + 1;
    Path input = dir.resolve("rows.json");
    Files.write(input, List.of("{\"id\": 0, \"features\": [" + wide + ", " + (wide + 1) + ", 5, 6]}",
        "{\"id\": 1, \"features\": [" + wide + ", " + wide + ", 5, 6]}"));
    String[] args = {"--input", input.toString(), "--output", results.resolve("out").toString(), "--method", "group",
        "--shape", "4", "--groups", "2", "--eps", "0", "--handle-invalid", null};
    args[args.length - 1] = "error";
    JobRun.of(args).assertFailed("error: column 'features', row 1: group 0 (channels 0 to 1) has variance 0 (all its"
        + " values are equal) and eps is 0: its normalized values are 0/0, not finite", results);
    args[args.length - 1] = "keep";
    JobRun.of(args).assertSucceeded("group", 2, 2, 0, 1);
    List<Row> out = spark.read().parquet(results.resolve("out").toString()).orderBy("id").collectAsList();
    assertEquals(List.of(-1f, 1f, -1f, 1f), out.get(0).getList(out.get(0).fieldIndex("features")));
    assertEquals(true, out.get(1).isNullAt(out.get(1).fieldIndex("features")));
  }

  @Test
  void integerScalarColumnsAreAssembledExactly() throws IOException {
    Path input = dir.resolve("table.csv");
    List<String> lines = new ArrayList<>(List.of("id,a,b"));
    IntegerGoldens.Case c = IntegerGoldens.named("batch_c2_above2p53_int64");
    for (int i = 0; i < c.input().length; i++) {
      lines.add(i + "," + c.input()[i][0] + "," + c.input()[i][1]);
    }
    Files.write(input, lines);
    Path stats = results.resolve("stats.json");
    JobRun.of("--input", input.toString(), "--input-cols", "a,b", "--output", results.resolve("out").toString(),
        "--method", "batch", "--stats-out", stats.toString()).assertSucceeded("batch", 20, 20, 0, 0);
    assertStatistics(c, JSON.readTree(stats.toFile()));
    List<Row> out = spark.read().parquet(results.resolve("out").toString()).orderBy("id").collectAsList();
    assertEquals("array<float>", out.get(0).schema().apply("features").dataType().simpleString());
  }
}
