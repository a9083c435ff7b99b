package io.sparknorm.job;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The job on hostile inputs as a whole, in-process: a tensor column of the wrong type (text that
 * is not JSON, a map, a struct), an input path that does not exist, an empty folder, a Parquet
 * dataset of zero rows (layer norm succeeds with an empty output; batch norm has no statistics and
 * fails, as PyTorch does), and a corrupt Parquet file among good ones. Each failure is one error
 * line naming what is wrong, no summary line, and nothing written beside the output.
 * {@code HostileValuesTest} covers invalid values, {@code ExtremeValuesTest} values near the
 * limits of a double, {@code HostileFilesTest} the affine and statistics files.
 */
class HostileInputTest extends JobTestSupport {
  private static final StructType SCHEMA = new StructType().add("id", DataTypes.IntegerType)
      .add("features", DataTypes.createArrayType(DataTypes.DoubleType));


  private JobRun run(String input, String method, String... options) {
    List<String> args = new ArrayList<>(List.of("--input", input, "--output", results.resolve("out").toString(),
        "--method", method));
    if (method.equals("batch")) {
      args.addAll(List.of("--stats-out", results.resolve("stats.json").toString()));
    }
    args.addAll(List.of(options));
    return JobRun.of(args.toArray(new String[0]));
  }

  private String jsonLines(String... lines) throws IOException {
    Path input = dir.resolve("input.jsonl");
    Files.write(input, List.of(lines));
    return input.toString();
  }

  @Test
  void textThatIsNotJsonFailsNamingColumnRowAndRule() throws IOException {
    String input = jsonLines("{\"id\": 0, \"features\": \"hello\"}", "{\"id\": 1, \"features\": \"hello\"}");
    run(input, "layer", "--shape", "2").assertFailed("error: column 'features', row 0: value 'hello' is not a JSON"
        + " array of numbers", results);
  }

  /** Spark's JSON reader makes a column that holds arrays and strings a string column: the arrays parse. */
  @Test
  void textAmongArraysFailsNamingItsRow() throws IOException {
    String input = jsonLines("{\"id\": 0, \"features\": [1.0, 2.0]}", "{\"id\": 1, \"features\": \"hello\"}",
        "{\"id\": 2, \"features\": [3.0, 4.0]}");
    run(input, "batch").assertFailed("error: column 'features', row 1: value 'hello' is not a JSON array of numbers",
        results);
  }

  /** Without --shape no row is valid to infer one from; the rule of the text shows once --shape is given. */
  @Test
  void onlyTextThatIsNotJsonWithoutShapeFailsForWantOfAShape() throws IOException {
    String input = jsonLines("{\"id\": 0, \"features\": \"hello\"}", "{\"id\": 1, \"features\": \"hello\"}");
    run(input, "layer").assertFailed("error: column 'features': no valid row to infer the shape from; give --shape",
        results);
  }

  @ParameterizedTest
  @ValueSource(strings = {"map<string,double>", "struct<a:double,b:double>"})
  void aTensorColumnOfAnotherTypeFailsNamingColumnAndType(String type) throws IOException {
    DataType dataType = DataType.fromDDL(type);
    Object value = type.startsWith("map") ? java.util.Map.of("a", 1.0) : RowFactory.create(1.0, 2.0);
    String input = dir.resolve("typed.parquet").toString();
    spark.createDataFrame(List.of(RowFactory.create(0, value)),
        new StructType().add("id", DataTypes.IntegerType).add("features", dataType)).write().parquet(input);
    run(input, "layer").assertFailed("error: column 'features' is of type " + type + "; the tensor column must be an"
        + " array of float, double, int, long, short or byte, or a Spark ML vector (for scalar columns use"
        + " --input-cols)", results);
  }

  @Test
  void anInputThatDoesNotExistFailsNamingIt() throws IOException {
    String input = dir.resolve("nowhere").toString();
    run(input, "layer").assertFailed("error: input " + input + " does not exist", results);
  }

  @ParameterizedTest
  @ValueSource(strings = {"parquet", "json", "orc"})
  void anEmptyFolderFailsSayingItHoldsNoData(String format) throws IOException {
    Path input = Files.createDirectories(dir.resolve("empty"));
    run(input.toString(), "layer", "--shape", "2", "--input-format", format).assertFailed("error: input " + input
        + " holds no " + format + " data files to read (an empty folder has no schema)", results);
  }

  /** An empty JSON or CSV file has no rows to take columns from: said so, naming the file. */
  @ParameterizedTest
  @ValueSource(strings = {"json", "csv"})
  void anEmptyTextFileFailsSayingItHasNoRows(String format) throws IOException {
    Path input = Files.createFile(dir.resolve("empty." + format));
    run(input.toString(), "layer", "--shape", "2").assertFailed("error: input " + input + " has no rows, and so no"
        + " columns (a " + format + " input takes its columns from its rows)", results);
  }

  @Test
  void jsonRowsWithoutFieldsFailSayingTheInputHasNoColumns() throws IOException {
    String input = jsonLines("{}", "{}");
    run(input, "layer", "--shape", "2").assertFailed("error: input " + input + " has no columns: its rows have no"
        + " fields", results);
  }

  /** A Parquet dataset of zero rows, with the schema: what Spark writes for an empty frame. */
  private String emptyParquet() {
    String input = dir.resolve("empty.parquet").toString();
    spark.createDataFrame(List.<Row>of(), SCHEMA).write().parquet(input);
    return input;
  }

  @Test
  void layerNormOfZeroRowsSucceedsWithAnEmptyOutput() {
    run(emptyParquet(), "layer", "--shape", "2").assertSucceeded("layer", 0, 0, 0, 0);
    Dataset<Row> written = spark.read().parquet(results.resolve("out").toString());
    assertEquals(0, written.count());
    assertEquals(List.of("id", "features"), List.of(written.columns()));
    assertEquals(DataTypes.DoubleType, ((ArrayType) written.schema().apply("features").dataType()).elementType());
  }

  @Test
  void layerNormOfZeroRowsWithoutShapeFailsForWantOfAShape() throws IOException {
    run(emptyParquet(), "layer").assertFailed("error: column 'features': no valid row to infer the shape from; give"
        + " --shape", results);
  }

  /** PyTorch: "Expected more than 1 value per channel when training". */
  @ParameterizedTest
  @ValueSource(strings = {"error", "skip"})
  void batchNormOfZeroRowsFailsForWantOfStatistics(String handleInvalid) throws IOException {
    run(emptyParquet(), "batch", "--shape", "2", "--handle-invalid", handleInvalid).assertFailed("error: column"
        + " 'features': batch norm needs more than 1 value per channel, got 0 (no valid row) for shape (2,)", results);
  }

  @Test
  void batchNormOfZeroRowsWithGivenStatisticsSucceedsWithAnEmptyOutput() throws IOException {
    Path stats = dir.resolve("stats-in.json");
    Files.writeString(stats, "{\"mean\": [1, 2], \"var\": [1, 4]}");
    JobRun run = JobRun.of("--input", emptyParquet(), "--output", results.resolve("out").toString(), "--method",
        "batch", "--stats-in", stats.toString());
    run.assertSucceeded("batch", 0, 0, 0, 0);
    assertEquals(0, spark.read().parquet(results.resolve("out").toString()).count());
  }

  @ParameterizedTest
  @ValueSource(strings = {"layer", "batch"})
  void aCorruptParquetFileAmongGoodOnesFailsNamingTheFile(String method) throws IOException {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      rows.add(RowFactory.create(i, new Double[] {i * 1.0, i * 2.0 + 1}));
    }
    Path input = dir.resolve("dataset");
    spark.createDataFrame(rows, SCHEMA).repartition(3).write().parquet(input.toString());
    Files.writeString(input.resolve("part-99.parquet"), "not Parquet: garbage bytes", StandardCharsets.UTF_8);
    run(input.toString(), method).assertFailedWith("error: input file ", results, "part-99.parquet cannot be read: ",
        "part-99.parquet is not a Parquet file");
  }
}
