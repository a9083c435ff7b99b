package io.sparknorm.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparknorm.testing.ChildProcess;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every kind of bad input of the contract through the built job jar and {@code local-runner/spark-submit}.
 *
 * <p>A failure must give a non-zero exit, exactly one standard-error line beginning {@code error:} that names the
 * column, the row (0-based position, or the {@code --id-col} value) and the rule broken, and leave nothing behind:
 * each test puts its output (and {@code --stats-out}) in a folder {@code out/} of its own, which must still be empty
 * afterwards, hidden temporary folders included. Message texts are checked loosely (column name, "row N", a rule word)
 * so that the wording can evolve, except where the README quotes the text: a wrong length is
 * {@code tensor of length 5 does not match shape (2,3) (6 elements)}, word for word.
 *
 * <p>The data: 40 rows {@code {"row": i, "id": "s-i", "features": [6 values]}} of shape (2, 3), as JSON lines
 * written here by hand: NaN and infinity go in as the bare tokens {@code NaN} and {@code Infinity}, which Spark's JSON
 * reader accepts (allowNonNumericNumbers, on by default; {@link #jsonInputCarriesNanInfinityAndNull} checks that they
 * arrive as double NaN and infinity). Error runs read it with {@code spark.sql.files.maxPartitionBytes=1024}: the one
 * file is split into several partitions, so a row's position has to be counted across partitions. Float NaN and
 * infinity go in through Parquet array&lt;float&gt; written in-process.
 */
@ExtendWith(SubmitSuite.class)
class BadInputSubmitIT {

  /** The four kinds of invalid row of the contract's --handle-invalid. */
  enum Kind { NULL, WRONG_LENGTH, NAN, INFINITE }

  private static final int ROWS = 40;
  private static final int[] SHAPE = {2, 3};
  private static final int SIZE = 6;
  private static final int SPATIAL = 3;
  private static final double EPS = 1e-5;
  /** The row made invalid in the error runs. */
  private static final int BAD_ROW = 27;
  /** The invalid rows of the skip/keep runs. */
  private static final Map<Integer, Kind> MIXED = new TreeMap<>(Map.of(
      3, Kind.NULL, 11, Kind.WRONG_LENGTH, 27, Kind.NAN, 34, Kind.INFINITE));
  private static final List<String> SPLIT = List.of("spark.sql.files.maxPartitionBytes=1024");

  /** Set by {@link SubmitSuite}. */
  private static SparkSession spark;
  private static WorkDir work;
  private static JobSubmitter submit;

  // --- the data ------------------------------------------------------------------------------------------------

  /** Row i's valid values: exact binary fractions, all different. */
  private static double[] values(int i) {
    double[] v = new double[SIZE];
    for (int j = 0; j < SIZE; j++) {
      v[j] = ((i * 37 + j * 11) % 23) / 8.0 - 1.25 + i / 64.0 + j * j / 16.0;
    }
    return v;
  }

  /** One JSON line; {@code bad} (or null) makes the row invalid. */
  private static String jsonLine(int i, Kind bad) {
    StringBuilder line = new StringBuilder("{\"row\":").append(i).append(",\"id\":\"s-").append(i).append("\",");
    line.append("\"features\":");
    if (bad == Kind.NULL) {
      return line.append("null}").toString();
    }
    double[] v = values(i);
    int length = bad == Kind.WRONG_LENGTH ? SIZE - 1 : SIZE;
    line.append('[');
    for (int j = 0; j < length; j++) {
      if (j > 0) {
        line.append(',');
      }
      if (bad == Kind.NAN && j == 2) {
        line.append("NaN");
      } else if (bad == Kind.INFINITE && j == 4) {
        line.append("Infinity");
      } else {
        line.append(v[j]);
      }
    }
    return line.append("]}").toString();
  }

  private static Path writeJsonInput(Path dir, Map<Integer, Kind> bad) {
    return writeJsonInput(dir, ROWS, bad);
  }

  private static Path writeJsonInput(Path dir, int rows, Map<Integer, Kind> bad) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < rows; i++) {
      text.append(jsonLine(i, bad.get(i))).append('\n');
    }
    Path file = dir.resolve("input.json");
    TestSpark.writeString(file, text.toString());
    return file;
  }

  /** The same rows as Parquet array&lt;float&gt;: float NaN and -infinity, a null tensor, 7 values. */
  private static Path writeFloatParquetInput(Path dir, Map<Integer, Kind> bad) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < ROWS; i++) {
      Kind kind = bad.get(i);
      List<Float> features = null;
      if (kind != Kind.NULL) {
        features = new ArrayList<>();
        for (double v : values(i)) {
          features.add((float) v);
        }
        if (kind == Kind.WRONG_LENGTH) {
          features.add(1f);
        } else if (kind == Kind.NAN) {
          features.set(1, Float.NaN);
        } else if (kind == Kind.INFINITE) {
          features.set(5, Float.NEGATIVE_INFINITY);
        }
      }
      rows.add(RowFactory.create((long) i, "s-" + i, features));
    }
    StructType schema = new StructType().add("row", DataTypes.LongType).add("id", DataTypes.StringType)
        .add("features", DataTypes.createArrayType(DataTypes.FloatType));
    Path file = dir.resolve("input.parquet");
    TestSpark.write(spark, rows, schema, "parquet", file);
    return file;
  }

  private static Path outDir(Path dir) {
    try {
      return Files.createDirectory(dir.resolve("out"));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static List<String> args(String... args) {
    return new ArrayList<>(Arrays.asList(args));
  }

  // --- checks ----------------------------------------------------------------------------------------------------

  /**
   * A failed run: non-zero exit, exactly one {@code error:} line on standard error, no summary line, and nothing at
   * all in {@code out}, the parent folder of the output and the statistics (no output, no statistics, no hidden
   * temporary folder or checksum file). Returns the error line.
   */
  private static String assertFailed(ChildProcess.Result result, Path out) {
    assertNotEquals(0, result.exitCode(), result::describe);
    List<String> errors = result.stderr().lines().filter(l -> l.startsWith("error:")).toList();
    assertEquals(1, errors.size(), () -> "exactly one 'error:' line expected: " + result.describe());
    assertFalse(result.stdout().contains("rows_in="), () -> "a summary line on a failure: " + result.describe());
    assertEquals(List.of(), WorkDir.list(out), "left behind in " + out + " (output, stats, temporary folders)");
    return errors.get(0);
  }

  /** Each word must appear in the line (case-insensitive). */
  private static void assertMentions(String line, String... words) {
    for (String word : words) {
      assertTrue(line.toLowerCase(Locale.ROOT).contains(word.toLowerCase(Locale.ROOT)),
          () -> "the error line should mention '" + word + "': " + line);
    }
  }

  /** At least one of the words must appear in the line (case-insensitive). */
  private static void assertMentionsAny(String line, String... words) {
    String lower = line.toLowerCase(Locale.ROOT);
    assertTrue(Arrays.stream(words).anyMatch(w -> lower.contains(w.toLowerCase(Locale.ROOT))),
        () -> "the error line should mention one of " + Arrays.toString(words) + ": " + line);
  }

  /** "row N" as a whole (row 27, not row 270 nor row 2). */
  private static void assertNamesRow(String line, long position) {
    assertTrue(Pattern.compile("\\brow " + position + "(?!\\d)").matcher(line).find(),
        () -> "the error line should name row " + position + " (0-based position in the input): " + line);
  }

  private static void assertRule(String line, Kind kind) {
    switch (kind) {
      case NULL -> assertMentions(line, "null");
      // The README's own wording of the rule: the row's length (5, not the shape's 6) and the shape.
      case WRONG_LENGTH -> assertMentions(line,
          "tensor of length " + (SIZE - 1) + " does not match shape (2,3) (" + SIZE + " elements)");
      case NAN -> assertMentions(line, "NaN");
      // The value itself: "not finite" alone would fit a NaN as well.
      case INFINITE -> assertMentions(line, "infinit");
    }
  }

  private static void assertSucceeded(ChildProcess.Result result, int rowsIn, int rowsOut, int skipped) {
    assertEquals(0, result.exitCode(), result::describe);
    String out = result.stdout();
    assertTrue(out.contains("rows_in=" + rowsIn + " ") && out.contains("rows_out=" + rowsOut + " ")
        && out.contains("rows_skipped=" + skipped + " "), () -> "summary line: " + result.describe());
  }

  // --- sanity of the inputs --------------------------------------------------------------------------------------

  /** The JSON inputs mean what the tests think: NaN, Infinity and null arrive as such, and the file splits. */
  @Test
  void jsonInputCarriesNanInfinityAndNull() {
    Path dir = work.newDir("sanity");
    Path input = writeJsonInput(dir, MIXED);
    SparkSession split = spark.newSession();
    split.conf().set("spark.sql.files.maxPartitionBytes", "1024");
    Dataset<Row> data = split.read().json(input.toString());
    assertEquals(DataTypes.DoubleType, TestSpark.elementType(data.schema(), "features"), data.schema().simpleString());
    assertTrue(data.rdd().getNumPartitions() >= 3, "partitions: " + data.rdd().getNumPartitions());
    List<Row> rows = data.orderBy("row").collectAsList();
    assertEquals(ROWS, rows.size());
    assertNull(TestSpark.doubles(rows.get(3), "features"));
    assertEquals(SIZE - 1, TestSpark.doubles(rows.get(11), "features").length);
    assertTrue(Double.isNaN(TestSpark.doubles(rows.get(27), "features")[2]));
    assertEquals(Double.POSITIVE_INFINITY, TestSpark.doubles(rows.get(34), "features")[4]);
    assertEquals(values(5)[3], TestSpark.doubles(rows.get(5), "features")[3]);
  }

  // --- invalid rows with --handle-invalid error ------------------------------------------------------------------

  /** batch (with --stats-out) for NULL and NAN, layer for the others. */
  @ParameterizedTest(name = "{0}: error names the row position")
  @EnumSource(Kind.class)
  @Execution(ExecutionMode.CONCURRENT)
  void invalidRowFailsNamingItsPosition(Kind kind) {
    Path dir = work.newDir("error-position-" + kind);
    Path input = writeJsonInput(dir, Map.of(BAD_ROW, kind));
    Path out = outDir(dir);
    boolean batch = kind == Kind.NULL || kind == Kind.NAN;
    List<String> args = args("--input", input.toString(), "--output", out.resolve("result.parquet").toString(),
        "--method", batch ? "batch" : "layer", "--shape", "2,3");
    if (batch) {
      args.addAll(List.of("--stats-out", out.resolve("stats.json").toString()));
    }

    String line = assertFailed(submit.run("error " + kind + " by position", SPLIT, args), out);

    assertMentions(line, "features");
    assertNamesRow(line, BAD_ROW);
    assertRule(line, kind);
  }

  /** layer for NULL and NAN, batch (with --stats-out) for the others; --handle-invalid error given explicitly. */
  @ParameterizedTest(name = "{0}: error names the --id-col value")
  @EnumSource(Kind.class)
  @Execution(ExecutionMode.CONCURRENT)
  void invalidRowFailsNamingItsId(Kind kind) {
    Path dir = work.newDir("error-id-" + kind);
    Path input = writeJsonInput(dir, Map.of(BAD_ROW, kind));
    Path out = outDir(dir);
    boolean batch = !(kind == Kind.NULL || kind == Kind.NAN);
    List<String> args = args("--input", input.toString(), "--output", out.resolve("result.json").toString(),
        "--output-format", "json", "--method", batch ? "batch" : "layer", "--shape", "2,3",
        "--handle-invalid", "error", "--id-col", "id");
    if (batch) {
      args.addAll(List.of("--stats-out", out.resolve("stats.json").toString()));
    }

    String line = assertFailed(submit.run("error " + kind + " by id", SPLIT, args), out);

    assertMentions(line, "features", "s-" + BAD_ROW);
    assertRule(line, kind);
  }

  /**
   * A stream whose first micro-batch holds a NaN: the same one error line as the batch job (column, id, rule), none of
   * Spark's own log lines about the failed query or its stack trace, and neither output nor checkpoint left.
   */
  @Test
  void streamFailingInItsFirstMicroBatchLeavesNothing() throws IOException {
    Path dir = work.newDir("error-stream");
    Path folder = Files.createDirectory(dir.resolve("arriving"));
    writeJsonInput(folder, Map.of(BAD_ROW, Kind.NAN));
    Path out = outDir(dir);
    List<String> args = args("--input", folder.toString(), "--input-format", "json", "--stream", "--checkpoint",
        out.resolve("checkpoint").toString(), "--output", out.resolve("result").toString(), "--method", "layer",
        "--shape", "2,3", "--id-col", "id");

    ChildProcess.Result result = submit.run("stream: NaN in micro-batch 0", args);

    String line = assertFailed(result, out);
    assertMentions(line, "features", "s-" + BAD_ROW);
    assertRule(line, Kind.NAN);
    List<String> noise = result.stderr().lines()
        .filter(l -> l.contains(" ERROR ") || l.contains("MicroBatchExecution") || l.startsWith("\tat ")).toList();
    assertEquals(List.of(), noise, () -> "Spark's log of the failure besides the error line: " + result.describe());
  }

  // --- skip and keep ---------------------------------------------------------------------------------------------

  /** skip: the four invalid rows dropped and counted, and batch statistics over the 36 valid rows only. */
  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void skipDropsInvalidRowsAndKeepsThemOutOfTheStatistics() {
    Path dir = work.newDir("skip-batch");
    Path input = writeJsonInput(dir, MIXED);
    Path output = dir.resolve("result.parquet");
    Path stats = dir.resolve("stats.json");

    ChildProcess.Result result = submit.run("skip, batch, json", args("--input", input.toString(),
        "--output", output.toString(), "--method", "batch", "--shape", "2,3", "--handle-invalid", "skip",
        "--stats-out", stats.toString()));

    assertSucceeded(result, ROWS, ROWS - MIXED.size(), MIXED.size());
    double[][] expectedStats = validRowStatistics();
    checkStatistics(stats, expectedStats);
    Map<Long, Row> byRow = byRow(TestSpark.readParquet(spark, output));
    assertEquals(validRows(), byRow.keySet(), "the rows out");
    checkBatchRows(byRow, expectedStats);
  }

  /** keep: every row out, null results for the invalid ones, statistics over the valid rows only. */
  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void keepGivesNullResultsAndKeepsThemOutOfTheStatistics() {
    Path dir = work.newDir("keep-batch");
    Path input = writeJsonInput(dir, MIXED);
    Path output = dir.resolve("result.parquet");
    Path stats = dir.resolve("stats.json");

    ChildProcess.Result result = submit.run("keep, batch, json", args("--input", input.toString(),
        "--output", output.toString(), "--method", "batch", "--shape", "2,3", "--handle-invalid", "keep",
        "--stats-out", stats.toString()));

    assertSucceeded(result, ROWS, ROWS, 0);
    double[][] expectedStats = validRowStatistics();
    checkStatistics(stats, expectedStats);
    Map<Long, Row> byRow = byRow(TestSpark.readParquet(spark, output));
    assertEquals(ROWS, byRow.size());
    for (int bad : MIXED.keySet()) {
      Row row = byRow.get((long) bad);
      assertNull(TestSpark.doubles(row, "features"), "kept invalid row " + bad + ": " + row);
      assertEquals("s-" + bad, row.getString(row.fieldIndex("id")));
    }
    byRow.keySet().removeAll(MIXED.keySet().stream().map(Integer::longValue).toList());
    checkBatchRows(byRow, expectedStats);
  }

  /** keep on the float path (Parquet array&lt;float&gt;, float NaN and -infinity), layer norm. */
  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void keepOnFloatInputWithLayerNorm() {
    Path dir = work.newDir("keep-layer-float");
    Map<Integer, Kind> bad = Map.of(5, Kind.NULL, 6, Kind.WRONG_LENGTH, 20, Kind.NAN, 33, Kind.INFINITE);
    Path input = writeFloatParquetInput(dir, bad);
    Path output = dir.resolve("result.parquet");

    ChildProcess.Result result = submit.run("keep, layer, parquet float", args("--input", input.toString(),
        "--output", output.toString(), "--method", "layer", "--shape", "2,3", "--handle-invalid", "keep"));

    assertSucceeded(result, ROWS, ROWS, 0);
    Dataset<Row> data = TestSpark.readParquet(spark, output);
    assertEquals(DataTypes.FloatType, TestSpark.elementType(data.schema(), "features"));
    Map<Long, Row> byRow = byRow(data);
    assertEquals(ROWS, byRow.size());
    for (long i = 0; i < ROWS; i++) {
      double[] got = TestSpark.doubles(byRow.get(i), "features");
      if (bad.containsKey((int) i)) {
        assertNull(got, "kept invalid row " + i);
      } else {
        assertClose(perSegment(floatValues((int) i), SIZE), got, 1e-5, "row " + i);
      }
    }
  }

  /** skip on the float path, instance norm. */
  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void skipOnFloatInputWithInstanceNorm() {
    Path dir = work.newDir("skip-instance-float");
    Map<Integer, Kind> bad = Map.of(0, Kind.NAN, 1, Kind.INFINITE, 38, Kind.NULL, 39, Kind.WRONG_LENGTH);
    Path input = writeFloatParquetInput(dir, bad);
    Path output = dir.resolve("result.json");

    ChildProcess.Result result = submit.run("skip, instance, parquet float", args("--input", input.toString(),
        "--output", output.toString(), "--output-format", "json", "--method", "instance", "--shape", "2,3",
        "--handle-invalid", "skip"));

    assertSucceeded(result, ROWS, ROWS - bad.size(), bad.size());
    List<JsonNode> rows = TestSpark.readJsonLines(output);
    assertEquals(ROWS - bad.size(), rows.size());
    for (JsonNode row : rows) {
      int i = row.get("row").asInt();
      assertFalse(bad.containsKey(i), "skipped row " + i + " in the output");
      assertEquals("s-" + i, row.get("id").asText());
      assertClose(perSegment(floatValues(i), SPATIAL), TestSpark.doubles(row.get("features")), 1e-5, "row " + i);
    }
  }

  // --- rules PyTorch enforces ------------------------------------------------------------------------------------

  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void groupsNotDividingTheChannels() {
    Path dir = work.newDir("groups");
    Path input = writeJsonInput(dir, Map.of());
    Path out = outDir(dir);

    String line = assertFailed(submit.run("group: 4 groups, 6 channels", args("--input", input.toString(),
        "--output", out.resolve("result.parquet").toString(), "--method", "group", "--shape", "6",
        "--groups", "4")), out);

    assertMentions(line, "features", "4", "6");
    assertMentionsAny(line, "divide", "divisor", "divisible");
  }

  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void instanceNormWithSpatialSizeOne() {
    Path dir = work.newDir("instance-s1");
    Path input = writeJsonInput(dir, Map.of());
    Path out = outDir(dir);

    String line = assertFailed(submit.run("instance: S = 1", args("--input", input.toString(),
        "--output", out.resolve("result.parquet").toString(), "--method", "instance", "--shape", "6")), out);

    assertMentions(line, "features", "instance");
    assertMentionsAny(line, "spatial", "more than 1", "S = 1", "S=1");
  }

  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void batchNormWithOneValuePerChannel() {
    Path dir = work.newDir("batch-one-row");
    Path input = writeJsonInput(dir, 1, Map.of());
    Path out = outDir(dir);

    String line = assertFailed(submit.run("batch: a single row of shape (6,)", args("--input", input.toString(),
        "--output", out.resolve("result.parquet").toString(), "--method", "batch", "--shape", "6",
        "--stats-out", out.resolve("stats.json").toString())), out);

    assertMentions(line, "features", "value", "channel");
  }

  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void affineWeightOfTheWrongLength() {
    Path dir = work.newDir("affine-length");
    Path input = writeJsonInput(dir, Map.of());
    Path affine = dir.resolve("affine.json");
    TestSpark.writeString(affine, "{\"weight\": [1, 2, 3, 4, 5]}");
    Path out = outDir(dir);

    String line = assertFailed(submit.run("layer: affine weight of 5 for shape (2,3)", args("--input",
        input.toString(), "--output", out.resolve("result.parquet").toString(), "--method", "layer",
        "--shape", "2,3", "--affine", affine.toString())), out);

    assertMentions(line, "features");
    // The weight's length and then the length needed, as whole numbers: "weight has 5 values, expected 6".
    assertTrue(Pattern.compile("weight\\b\\D*\\b5\\b\\D*\\b6\\b").matcher(line).find(),
        () -> "the error line should say the weight has 5 values where 6 are needed: " + line);
  }

  // --- columns ---------------------------------------------------------------------------------------------------

  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void missingInputColumn() {
    Path dir = work.newDir("missing-column");
    Path input = writeJsonInput(dir, Map.of());
    Path out = outDir(dir);

    String line = assertFailed(submit.run("--input-col pixels (missing)", args("--input", input.toString(),
        "--output", out.resolve("result.parquet").toString(), "--method", "layer", "--input-col", "pixels")),
        out);

    assertMentions(line, "pixels");
    assertMentionsAny(line, "not in", "missing", "no column", "does not exist", "not found");
  }

  /** An array of strings is no tensor, whatever it holds. */
  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void columnOfTheWrongType() {
    Path dir = work.newDir("wrong-type");
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      rows.add(RowFactory.create((long) i, List.of("1.5", "2", "3")));
    }
    Path input = dir.resolve("input.parquet");
    TestSpark.write(spark, rows, new StructType().add("row", DataTypes.LongType)
        .add("features", DataTypes.createArrayType(DataTypes.StringType)), "parquet", input);
    Path out = outDir(dir);

    String line = assertFailed(submit.run("features: array<string>", args("--input", input.toString(),
        "--output", out.resolve("result.parquet").toString(), "--method", "layer")), out);

    assertMentions(line, "features", "string");
  }

  /**
   * A string tensor column is read as JSON array text (the job's way to take tensors from CSV); text that is no
   * such array is an invalid row, named by its position, and the message must say what is wrong with the value.
   */
  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void stringColumnThatIsNoJsonArray() {
    Path dir = work.newDir("string-column");
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      rows.add(RowFactory.create((long) i, i == 4 ? "one, two, three" : "[1.5, 2, " + i + "]"));
    }
    Path input = dir.resolve("input.parquet");
    TestSpark.write(spark, rows, new StructType().add("row", DataTypes.LongType)
        .add("features", DataTypes.StringType), "parquet", input);
    Path out = outDir(dir);

    String line = assertFailed(submit.run("features: string, not JSON at row 4", args("--input", input.toString(),
        "--output", out.resolve("result.parquet").toString(), "--method", "layer")), out);

    assertMentions(line, "features");
    assertNamesRow(line, 4);
    assertMentionsAny(line, "json", "string", "text", "one, two, three", "not an array", "parse");
  }

  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void outputColumnNamingAnotherExistingColumn() {
    Path dir = work.newDir("output-col");
    Path input = writeJsonInput(dir, Map.of());
    Path out = outDir(dir);

    String line = assertFailed(submit.run("--output-col id (exists)", args("--input", input.toString(),
        "--output", out.resolve("result.parquet").toString(), "--method", "layer", "--output-col", "id")), out);

    assertTrue(Pattern.compile("\\bid\\b").matcher(line).find(), () -> "the error line should name column id: " + line);
    assertMentionsAny(line, "exist", "already");
  }

  // --- command line and output path ------------------------------------------------------------------------------

  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void unknownMethodIsAUsageError() {
    Path dir = work.newDir("unknown-method");
    Path input = writeJsonInput(dir, Map.of());
    Path out = outDir(dir);

    ChildProcess.Result result = submit.run("--method median", args("--input", input.toString(),
        "--output", out.resolve("result.parquet").toString(), "--method", "median"));

    String line = assertFailed(result, out);
    assertEquals(2, result.exitCode(), result::describe);
    assertMentions(line, "median");
    assertMentionsAny(line, "batch", "method");
  }

  /** An existing output without --overwrite: an error, and the output untouched (its files, their mtimes). */
  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void existingOutputWithoutOverwriteIsLeftUntouched() throws IOException {
    Path dir = work.newDir("exists");
    Path input = writeJsonInput(dir, Map.of());
    Path out = outDir(dir);
    Path output = existingOutput(out);
    FileTime outputTime = Files.getLastModifiedTime(output);
    FileTime markerTime = Files.getLastModifiedTime(output.resolve("part-00000-precious.txt"));

    ChildProcess.Result result = submit.run("existing output, no --overwrite", args("--input",
        input.toString(), "--output", output.toString(), "--method", "batch", "--shape", "2,3",
        "--stats-out", out.resolve("stats.json").toString()));

    assertNotEquals(0, result.exitCode(), result::describe);
    List<String> errors = result.stderr().lines().filter(l -> l.startsWith("error:")).toList();
    assertEquals(1, errors.size(), result::describe);
    assertMentions(errors.get(0), output.getFileName().toString());
    assertMentionsAny(errors.get(0), "exist", "overwrite");
    assertEquals(List.of("result.parquet"), WorkDir.list(out), "the output's folder (no stats, no temporary files)");
    assertEquals(List.of("part-00000-precious.txt"), WorkDir.list(output), "the existing output's files");
    assertEquals("precious\n", Files.readString(output.resolve("part-00000-precious.txt")));
    assertEquals(markerTime, Files.getLastModifiedTime(output.resolve("part-00000-precious.txt")));
    assertEquals(outputTime, Files.getLastModifiedTime(output));
  }

  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void existingOutputWithOverwriteIsReplaced() throws IOException {
    Path dir = work.newDir("overwrite");
    Path input = writeJsonInput(dir, Map.of());
    Path out = outDir(dir);
    Path output = existingOutput(out);

    ChildProcess.Result result = submit.run("existing output, --overwrite", args("--input",
        input.toString(), "--output", output.toString(), "--method", "layer", "--shape", "2,3",
        "--overwrite"));

    assertSucceeded(result, ROWS, ROWS, 0);
    assertEquals(List.of("result.parquet"), WorkDir.list(out), "the output's folder (no temporary files)");
    assertFalse(Files.exists(output.resolve("part-00000-precious.txt")), "the old output is still there");
    Map<Long, Row> byRow = byRow(TestSpark.readParquet(spark, output));
    assertEquals(ROWS, byRow.size());
    for (long i = 0; i < ROWS; i++) {
      assertClose(perSegment(values((int) i), SIZE), TestSpark.doubles(byRow.get(i), "features"), 1e-9,
          "row " + i);
    }
  }

  /**
   * A second array column cannot go to CSV: an error naming that column, and neither output nor statistics left.
   * (The README has this checked before any data is read, so it says nothing about a failure after fitting: see
   * {@link #statsOutIsNotWrittenWhenTheJobFailsAfterFitting}.)
   */
  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void csvOutputWithAnotherArrayColumnFailsLeavingNoStatistics() {
    Path dir = work.newDir("csv-extra-array");
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < ROWS; i++) {
      String line = jsonLine(i, null);
      text.append(line, 0, line.length() - 1).append(",\"extra\":[1,2]}\n");
    }
    Path input = dir.resolve("input.json");
    TestSpark.writeString(input, text.toString());
    Path out = outDir(dir);

    ChildProcess.Result result = submit.run("batch, CSV output with a second array column", args("--input",
        input.toString(), "--output", out.resolve("result.csv").toString(), "--output-format", "csv", "--method",
        "batch", "--shape", "2,3", "--stats-out", out.resolve("stats.json").toString()));

    String line = assertFailed(result, out);
    assertEquals(1, result.exitCode(), result::describe);
    assertMentions(line, "extra", "csv");
  }

  /**
   * --stats-out is written only when the whole job succeeds. Here the statistics are fitted, and then writing the
   * output fails: the input's {@code id} column, which the statistics pass does not read (Parquet reads only the
   * tensor column for it) but the write does, is corrupt on disk (its column chunk overwritten with 0xFF). No rule
   * checked before the data is read can see that: the job checks beforehand that both paths can be written, and they
   * can.
   * Neither the statistics file nor the output, nor a staging folder, may appear.
   *
   * <p>That the statistics pass did run (and finish) before the failure is shown by Spark's event log: the input is
   * Parquet (no schema inference job reads its rows), the shape is given (no pass infers it), so the only job that can
   * read all 40 rows and succeed before the output is written is batch norm's statistics pass.
   */
  @Test
  @Execution(ExecutionMode.CONCURRENT)
  void statsOutIsNotWrittenWhenTheJobFailsAfterFitting() throws IOException {
    Path dir = work.newDir("stats-late-failure");
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < ROWS; i++) {
      List<Double> features = new ArrayList<>();
      for (double v : values(i)) {
        features.add(v);
      }
      rows.add(RowFactory.create((long) i, "s-" + i, features));
    }
    Path input = dir.resolve("input.parquet");
    TestSpark.write(spark, rows, new StructType().add("row", DataTypes.LongType).add("id", DataTypes.StringType)
        .add("features", DataTypes.createArrayType(DataTypes.DoubleType)), "parquet", input);
    Path part = corruptColumnChunk(input, "id");
    Path events = Files.createDirectory(dir.resolve("events"));
    Path out = outDir(dir);
    List<String> conf = List.of("spark.eventLog.enabled=true", "spark.eventLog.dir=" + events.toUri(),
        "spark.eventLog.compress=false", "spark.eventLog.rolling.enabled=false");

    ChildProcess.Result result = submit.run("batch fitted, then the output cannot be written", conf,
        args("--input", input.toString(), "--output", out.resolve("result.parquet").toString(), "--method",
            "batch", "--shape", "2,3", "--stats-out", out.resolve("stats.json").toString()));

    String line = assertFailed(result, out);
    assertEquals(1, result.exitCode(), result::describe);
    assertMentions(line, part.getFileName().toString(), "cannot be read");
    List<Long> fullReads = succeededJobsReading(events, ROWS);
    assertFalse(fullReads.isEmpty(), () -> "no Spark job read all " + ROWS + " rows and succeeded before the failure:"
        + " the statistics were not fitted, so this run shows nothing about a failure after fitting; "
        + result.describe());
  }

  /**
   * Overwrites the chunk of {@code column} in the one Parquet file of {@code folder} with 0xFF, and drops the file's
   * checksum; returns the file.
   */
  private static Path corruptColumnChunk(Path folder, String column) throws IOException {
    List<Path> parts;
    try (var files = Files.list(folder)) {
      parts = files.filter(p -> p.getFileName().toString().endsWith(".parquet")).toList();
    }
    assertEquals(1, parts.size(), "Parquet files in " + folder + ": " + parts);
    Path part = parts.get(0);
    org.apache.parquet.hadoop.metadata.ParquetMetadata footer;
    try (var reader = org.apache.parquet.hadoop.ParquetFileReader.open(org.apache.parquet.hadoop.util.HadoopInputFile
        .fromPath(new org.apache.hadoop.fs.Path(part.toUri()), new org.apache.hadoop.conf.Configuration()))) {
      footer = reader.getFooter();
    }
    var chunk = footer.getBlocks().get(0).getColumns().stream()
        .filter(c -> c.getPath().toDotString().equals(column)).findFirst().orElseThrow();
    byte[] bytes = Files.readAllBytes(part);
    Arrays.fill(bytes, (int) chunk.getStartingPos(), (int) (chunk.getStartingPos() + chunk.getTotalSize()), (byte) -1);
    Files.write(part, bytes);
    // Hadoop's local file system would refuse the whole file by its .crc checksum before Parquet reads any column.
    Files.delete(part.resolveSibling("." + part.getFileName() + ".crc"));
    return part;
  }

  /**
   * The ids of the Spark jobs that succeeded and whose tasks (successful ones) read exactly {@code records} input
   * records in all, from the event logs in {@code folder}.
   */
  private static List<Long> succeededJobsReading(Path folder, long records) throws IOException {
    Map<Long, List<Long>> stagesOfJob = new TreeMap<>();
    Map<Long, Long> recordsOfStage = new TreeMap<>();
    List<Long> succeeded = new ArrayList<>();
    List<Path> logs;
    try (var files = Files.walk(folder)) {
      logs = files.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().startsWith("."))
          .filter(f -> !f.getFileName().toString().startsWith("appstatus")).toList();
    }
    assertFalse(logs.isEmpty(), "no event log in " + folder);
    for (Path log : logs) {
      for (String text : Files.readAllLines(log)) {
        JsonNode event = TestSpark.JSON.readTree(text);
        switch (event.path("Event").asText()) {
          case "SparkListenerJobStart" -> {
            List<Long> stages = new ArrayList<>();
            event.path("Stage IDs").forEach(id -> stages.add(id.asLong()));
            stagesOfJob.put(event.path("Job ID").asLong(), stages);
          }
          case "SparkListenerTaskEnd" -> {
            if (event.path("Task End Reason").path("Reason").asText().equals("Success")) {
              recordsOfStage.merge(event.path("Stage ID").asLong(),
                  event.path("Task Metrics").path("Input Metrics").path("Records Read").asLong(0), Long::sum);
            }
          }
          case "SparkListenerJobEnd" -> {
            if (event.path("Job Result").path("Result").asText().equals("JobSucceeded")) {
              succeeded.add(event.path("Job ID").asLong());
            }
          }
          default -> {
          }
        }
      }
    }
    assertFalse(stagesOfJob.isEmpty(), "no Spark job in the event logs " + logs);
    return succeeded.stream().filter(job -> stagesOfJob.getOrDefault(job, List.of()).stream()
        .mapToLong(stage -> recordsOfStage.getOrDefault(stage, 0L)).sum() == records).toList();
  }

  private static Path existingOutput(Path out) throws IOException {
    Path output = Files.createDirectory(out.resolve("result.parquet"));
    Path marker = output.resolve("part-00000-precious.txt");
    Files.writeString(marker, "precious\n");
    Files.setLastModifiedTime(marker, FileTime.from(Instant.parse("2020-01-02T03:04:05Z")));
    Files.setLastModifiedTime(output, FileTime.from(Instant.parse("2020-01-02T03:04:05Z")));
    return output;
  }

  // --- expected values -------------------------------------------------------------------------------------------

  private static TreeSet<Long> validRows() {
    TreeSet<Long> rows = new TreeSet<>();
    for (long i = 0; i < ROWS; i++) {
      if (!MIXED.containsKey((int) i)) {
        rows.add(i);
      }
    }
    return rows;
  }

  /** Exact (BigDecimal) mean, biased and unbiased variance per channel over the valid rows of {@link #MIXED}. */
  private static double[][] validRowStatistics() {
    MathContext mc = MathContext.DECIMAL128;
    double[][] stats = new double[3][SHAPE[0]];
    for (int c = 0; c < SHAPE[0]; c++) {
      List<BigDecimal> xs = new ArrayList<>();
      for (long i : validRows()) {
        double[] v = values((int) i);
        for (int s = 0; s < SPATIAL; s++) {
          xs.add(new BigDecimal(v[c * SPATIAL + s]));
        }
      }
      BigDecimal n = BigDecimal.valueOf(xs.size());
      BigDecimal mean = xs.stream().reduce(BigDecimal.ZERO, BigDecimal::add).divide(n, mc);
      BigDecimal squares = xs.stream().map(x -> x.subtract(mean).pow(2)).reduce(BigDecimal.ZERO, BigDecimal::add);
      stats[0][c] = mean.doubleValue();
      stats[1][c] = squares.divide(n, mc).doubleValue();
      stats[2][c] = squares.divide(n.subtract(BigDecimal.ONE), mc).doubleValue();
    }
    return stats;
  }

  private static void checkStatistics(Path file, double[][] expected) {
    assertTrue(Files.isRegularFile(file), "no --stats-out file " + file);
    JsonNode stats = TestSpark.readJson(file);
    assertEquals((long) validRows().size() * SPATIAL, stats.path("count").asLong(-1),
        "count over the valid rows only: " + stats);
    String[] keys = {"mean", "var", "var_unbiased"};
    for (int k = 0; k < keys.length; k++) {
      double[] got = TestSpark.doubles(stats.get(keys[k]));
      assertEquals(SHAPE[0], got.length, keys[k] + " in " + stats);
      for (int c = 0; c < got.length; c++) {
        double scale = Math.max(Math.abs(expected[k][c]), k == 0 ? Math.sqrt(expected[1][c]) : 0);
        assertEquals(expected[k][c], got[c], 1e-12 * scale,
            keys[k] + "[" + c + "] over the valid rows only: " + stats);
      }
    }
  }

  private static void checkBatchRows(Map<Long, Row> byRow, double[][] stats) {
    for (Map.Entry<Long, Row> e : byRow.entrySet()) {
      int i = e.getKey().intValue();
      assertEquals("s-" + i, e.getValue().getString(e.getValue().fieldIndex("id")));
      double[] x = values(i);
      double[] expected = new double[SIZE];
      for (int j = 0; j < SIZE; j++) {
        int c = j / SPATIAL;
        expected[j] = (x[j] - stats[0][c]) / Math.sqrt(stats[1][c] + EPS);
      }
      assertClose(expected, TestSpark.doubles(e.getValue(), "features"), 1e-9, "row " + i);
    }
  }

  /** Normalizes each run of {@code segment} consecutive values (layer: the whole sample; instance: a channel). */
  private static double[] perSegment(double[] x, int segment) {
    double[] y = new double[x.length];
    for (int start = 0; start < x.length; start += segment) {
      double mean = 0;
      for (int i = start; i < start + segment; i++) {
        mean += x[i];
      }
      mean /= segment;
      double var = 0;
      for (int i = start; i < start + segment; i++) {
        var += (x[i] - mean) * (x[i] - mean);
      }
      var /= segment;
      for (int i = start; i < start + segment; i++) {
        y[i] = (x[i] - mean) / Math.sqrt(var + EPS);
      }
    }
    return y;
  }

  private static double[] floatValues(int i) {
    double[] v = values(i);
    for (int j = 0; j < v.length; j++) {
      v[j] = (float) v[j];
    }
    return v;
  }

  private static void assertClose(double[] expected, double[] got, double tolerance, String what) {
    assertNotNull(got, what + ": null result");
    assertEquals(expected.length, got.length, what + ": length");
    for (int j = 0; j < got.length; j++) {
      assertEquals(expected[j], got[j], tolerance * Math.max(1, Math.abs(expected[j])),
          what + " [" + j + "]: " + Arrays.toString(got) + " vs " + Arrays.toString(expected));
    }
  }

  private static Map<Long, Row> byRow(Dataset<Row> data) {
    Map<Long, Row> byRow = new TreeMap<>();
    for (Row row : data.collectAsList()) {
      assertNull(byRow.put(row.getLong(row.fieldIndex("row")), row), "a row twice: " + row);
    }
    return byRow;
  }
}
