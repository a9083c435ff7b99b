package io.sparknorm.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparknorm.core.Affine;
import io.sparknorm.core.ExactMoments;
import io.sparknorm.core.Normalizer;
import io.sparknorm.core.Normalizers;
import io.sparknorm.core.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The job on invalid values, in-process: NaN, +Infinity and -Infinity at the first, a middle and
 * the last element of a tensor in a middle row (double from JSON lines, float from Parquet), a
 * null element, with and without {@code --id-col} (and an id that is null on the bad row), and a
 * dataset whose every row is invalid. With {@code --handle-invalid error} each is one error line
 * naming the column, the row and the value, and nothing written; with {@code skip} and {@code keep}
 * the counts of the summary line and the rows written (invalid rows never feed batch statistics).
 */
class HostileValuesTest extends JobTestSupport {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Shape SHAPE = Shape.of(2, 3);


  private String output() {
    return results.resolve("out").toString();
  }

  private String stats() {
    return results.resolve("stats.json").toString();
  }

  /** Row i of the twelve rows of shape (2, 3); row 7 is the one made invalid. */
  private static double[] valid(int i) {
    return new double[] {i + 0.5, 1.0 + i, 2.0, 3.0 - i, 4.0, i * 1.5};
  }

  /** Row 7's values as JSON text, with {@code token} (NaN, Infinity, -Infinity, null) at {@code index}. */
  private static String row7With(String token, int index) {
    List<String> values = new ArrayList<>();
    for (double v : valid(7)) {
      values.add(Double.toString(v));
    }
    values.set(index, token);
    return "[" + String.join(", ", values) + "]";
  }

  /** Twelve JSON lines {"id": "rI", "features": [...]}, row 7's features given as text. */
  private Path twelveRows(String row7) throws IOException {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      lines.add("{\"id\": \"r" + i + "\", \"features\": " + (i == 7 ? row7 : json(valid(i))) + "}");
    }
    Path input = dir.resolve("twelve.jsonl");
    Files.write(input, lines);
    return input;
  }

  private static String json(double[] values) {
    List<String> text = new ArrayList<>();
    for (double v : values) {
      text.add(Double.toString(v));
    }
    return "[" + String.join(", ", text) + "]";
  }

  static Stream<Arguments> nonFiniteDoubles() {
    List<Arguments> cases = new ArrayList<>();
    for (String token : List.of("NaN", "Infinity", "-Infinity")) {
      for (int index : new int[] {0, 2, 5}) {
        for (String method : List.of("batch", "layer")) {
          cases.add(Arguments.of(token, index, method));
        }
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} at index {1}, {2} norm")
  @MethodSource("nonFiniteDoubles")
  void aNonFiniteDoubleFailsNamingColumnRowAndValue(String token, int index, String method) throws IOException {
    Path input = twelveRows(row7With(token, index));
    JobRun run = JobRun.of("--input", input.toString(), "--output", output(), "--method", method, "--shape", "2,3",
        "--stats-out", method.equals("batch") ? stats() : null);
    run.assertFailed("error: column 'features', row 7: value " + token + " at index " + index + " is not finite",
        results);
  }

  static Stream<Arguments> nonFiniteFloats() {
    return Stream.of(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY)
        .flatMap(value -> Stream.of(0, 2, 5).map(index -> Arguments.of(value, index)));
  }

  @ParameterizedTest(name = "{0} at index {1}")
  @MethodSource("nonFiniteFloats")
  void aNonFiniteFloatFromParquetFailsNamingColumnRowAndValue(float value, int index) throws IOException {
    StructType schema = new StructType().add("id", DataTypes.IntegerType)
        .add("features", DataTypes.createArrayType(DataTypes.FloatType));
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      Float[] features = new Float[6];
      for (int j = 0; j < 6; j++) {
        features[j] = (float) valid(i)[j];
      }
      if (i == 7) {
        features[index] = value;
      }
      rows.add(RowFactory.create(i, features));
    }
    String input = dir.resolve("floats.parquet").toString();
    spark.createDataFrame(rows, schema).coalesce(1).write().parquet(input);
    JobRun run = JobRun.of("--input", input, "--output", output(), "--method", "layer", "--shape", "2,3");
    run.assertFailed("error: column 'features', row 7: value " + value + " at index " + index + " is not finite",
        results);
  }

  @ParameterizedTest
  @ValueSource(strings = {"batch", "layer", "instance", "group"})
  void withIdColTheErrorNamesTheRowsId(String method) throws IOException {
    Path input = twelveRows(row7With("NaN", 2));
    JobRun run = JobRun.of("--input", input.toString(), "--output", output(), "--method", method, "--shape", "2,3",
        "--id-col", "id", "--groups", method.equals("group") ? "2" : null);
    run.assertFailed("error: column 'features', row with id r7: value NaN at index 2 is not finite", results);
  }

  /** A null id names the row by its position: "row with id null" would not find it. */
  @ParameterizedTest
  @ValueSource(strings = {"{\"id\": null, \"features\": [1.0, NaN]}", "{\"features\": [1.0, NaN]}"})
  void aBadRowWhoseIdIsNullIsNamedByItsPosition(String badLine) throws IOException {
    Path input = dir.resolve("ids.jsonl");
    Files.write(input, List.of("{\"id\": \"a\", \"features\": [1.0, 2.0]}", "{\"id\": \"b\", \"features\": [3.0, 4.0]}",
        badLine, "{\"id\": \"d\", \"features\": [5.0, 6.0]}"));
    JobRun run = JobRun.of("--input", input.toString(), "--output", output(), "--method", "layer", "--id-col", "id");
    run.assertFailed("error: column 'features', row 2 (id null): value NaN at index 1 is not finite", results);
  }

  @ParameterizedTest
  @ValueSource(strings = {"batch", "layer"})
  void aNullElementFailsNamingColumnRowAndRule(String method) throws IOException {
    Path input = twelveRows(row7With("null", 1));
    JobRun run = JobRun.of("--input", input.toString(), "--output", output(), "--method", method, "--shape", "2,3");
    run.assertFailed("error: column 'features', row 7: null value at index 1", results);
  }

  @Test
  void skipDropsTheRowWithANullElementAndNormalizesTheOthers() throws IOException {
    Path input = twelveRows(row7With("null", 1));
    JobRun run = JobRun.of("--input", input.toString(), "--output", output(), "--method", "layer", "--shape", "2,3",
        "--handle-invalid", "skip");
    run.assertSucceeded("layer", 12, 11, 1, 0);
    List<Row> rows = byId(spark.read().parquet(output()));
    assertEquals(11, rows.size());
    Normalizer layer = Normalizers.layer(SHAPE, 1e-5, Affine.none());
    int k = 0;
    for (int i = 0; i < 12; i++) {
      if (i == 7) {
        continue;
      }
      Row row = rows.get(k++);
      assertEquals("r" + i, row.getAs("id"));
      assertArrayEquals(layer.apply(valid(i)), doubles(row), 1e-15, "row " + i);
    }
  }

  @Test
  void keepKeepsTheRowWithANullElementAsNullAndLeavesItOutOfTheStatistics() throws IOException {
    Path input = twelveRows(row7With("null", 1));
    JobRun run = JobRun.of("--input", input.toString(), "--output", output(), "--method", "batch", "--shape", "2,3",
        "--handle-invalid", "keep", "--stats-out", stats());
    run.assertSucceeded("batch", 12, 12, 0, 1);
    ExactMoments moments = new ExactMoments(SHAPE);
    for (int i = 0; i < 12; i++) {
      if (i != 7) {
        moments.update(valid(i));
      }
    }
    JsonNode file = JSON.readTree(results.resolve("stats.json").toFile());
    assertEquals(11 * 3, file.get("count").asLong(), "11 valid rows of spatial size 3");
    Normalizer batch = Normalizers.batch(moments.statistics(), 1e-5, Affine.none());
    List<Row> rows = byId(spark.read().parquet(output()));
    assertEquals(12, rows.size());
    for (int i = 0; i < 12; i++) {
      Row row = rows.get(i);
      assertEquals("r" + i, row.getAs("id"));
      if (i == 7) {
        assertTrue(row.isNullAt(row.fieldIndex("features")), "the invalid row's result is null");
      } else {
        assertArrayEquals(batch.apply(valid(i)), doubles(row), 1e-15, "row " + i);
      }
    }
  }

  /** Five rows of two values, each invalid: NaN, infinities, a null tensor, a null element. */
  private Path allInvalid() throws IOException {
    Path input = dir.resolve("all-invalid.jsonl");
    Files.write(input, List.of("{\"id\": 0, \"features\": [1.0, NaN]}", "{\"id\": 1, \"features\": [Infinity, 2.0]}",
        "{\"id\": 2, \"features\": null}", "{\"id\": 3, \"features\": [null, 2.0]}",
        "{\"id\": 4, \"features\": [-Infinity, 1.0]}"));
    return input;
  }

  @Test
  void layerNormSkippingEveryRowSucceedsWithNoRows() throws IOException {
    JobRun run = JobRun.of("--input", allInvalid().toString(), "--output", output(), "--method", "layer", "--shape", "2",
        "--handle-invalid", "skip");
    run.assertSucceeded("layer", 5, 0, 5, 0);
    Dataset<Row> written = spark.read().parquet(output());
    assertEquals(0, written.count());
    assertEquals(DataTypes.DoubleType, ((ArrayType) written.schema().apply("features").dataType()).elementType());
  }

  @Test
  void layerNormSkippingEveryRowWithoutShapeFailsForWantOfAShape() throws IOException {
    JobRun run = JobRun.of("--input", allInvalid().toString(), "--output", output(), "--method", "layer",
        "--handle-invalid", "skip");
    run.assertFailed("error: column 'features': no valid row to infer the shape from; give --shape", results);
  }

  @ParameterizedTest
  @ValueSource(strings = {"skip", "keep"})
  void batchNormWithEveryRowInvalidFailsForWantOfStatistics(String handleInvalid) throws IOException {
    JobRun run = JobRun.of("--input", allInvalid().toString(), "--output", output(), "--method", "batch", "--shape", "2",
        "--handle-invalid", handleInvalid, "--stats-out", stats());
    run.assertFailed("error: column 'features': batch norm needs more than 1 value per channel, got 0 (no valid row)"
        + " for shape (2,)", results);
  }

  /** The rows in the order of their ids "r0", "r1", ... */
  private static List<Row> byId(Dataset<Row> frame) {
    List<Row> rows = new ArrayList<>(frame.collectAsList());
    rows.sort(Comparator.comparingInt(r -> Integer.parseInt(r.<String>getAs("id").substring(1))));
    return rows;
  }

  private static double[] doubles(Row row) {
    List<Double> values = row.getList(row.fieldIndex("features"));
    return values.stream().mapToDouble(Double::doubleValue).toArray();
  }
}
