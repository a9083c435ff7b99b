package io.sparknorm.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sparknorm.core.Affine;
import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.ExactMoments;
import io.sparknorm.core.Normalizer;
import io.sparknorm.core.Normalizers;
import io.sparknorm.core.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The job on hostile {@code --affine} and {@code --stats-in} files, in-process: wrong lengths,
 * NaN and Infinity as bare tokens and as strings, a negative variance, missing keys (allowed for
 * affine, where they mean 1 and 0), text that is not JSON, a file that does not exist, every other
 * known key of a statistics file that breaks its rule, a file's shape against --shape; and the
 * round trip of a statistics file written from given statistics. Each failure is one error line
 * naming the file (or the affine array) and the rule, no summary line, and nothing written beside
 * the output.
 */
class HostileFilesTest extends JobTestSupport {
  private static final double[][] ROWS = {{1, 2}, {3, 5}, {4, 0}};

  private Path input;

  /** Three rows of two doubles as JSON lines. */
  @BeforeEach
  void writeInput() throws IOException {
    input = dir.resolve("input.jsonl");
    Files.write(input, List.of("{\"id\": 0, \"features\": [1.0, 2.0]}", "{\"id\": 1, \"features\": [3.0, 5.0]}",
        "{\"id\": 2, \"features\": [4.0, 0.0]}"));
  }

  private String file(String name, String content) throws IOException {
    Path path = dir.resolve(name);
    Files.writeString(path, content);
    return path.toString();
  }

  private JobRun batch(String... options) {
    String[] args = Stream.concat(Stream.of("--input", input.toString(), "--output", results.resolve("out").toString(),
        "--method", "batch", "--stats-out", results.resolve("stats.json").toString()), Stream.of(options))
        .toArray(String[]::new);
    return JobRun.of(args);
  }

  private static BatchStatistics fitted() {
    ExactMoments moments = new ExactMoments(Shape.of(2));
    for (double[] row : ROWS) {
      moments.update(row);
    }
    return moments.statistics();
  }

  private List<double[]> written() {
    Dataset<Row> out = spark.read().parquet(results.resolve("out").toString()).orderBy("id");
    return out.collectAsList().stream().map(row -> row.<Double>getList(row.fieldIndex("features")).stream()
        .mapToDouble(Double::doubleValue).toArray()).toList();
  }

  static Stream<Arguments> malformedAffineFiles() {
    return Stream.of(
        Arguments.of("NaN token", "{\"weight\": [1, NaN]}", ": weight[1] is NaN, not a finite number"),
        Arguments.of("-Infinity token", "{\"bias\": [-Infinity, 0]}", ": bias[0] is -Infinity, not a finite number"),
        Arguments.of("NaN string", "{\"weight\": [1, \"NaN\"]}", ": weight[1] is \"NaN\", not a number"),
        Arguments.of("lengths differ", "{\"weight\": [1, 2, 3], \"bias\": [1, 2]}",
            ": affine weight has 3 values but bias has 2; they must have the same length"),
        Arguments.of("not an array", "{\"weight\": 2}", ": 'weight' must be an array of numbers"),
        Arguments.of("an array", "[1, 2]", ": expected a JSON object {\"weight\": [...], \"bias\": [...]}"),
        Arguments.of("empty", "", ": expected a JSON object {\"weight\": [...], \"bias\": [...]}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformedAffineFiles")
  void aMalformedAffineFileFailsNamingTheFileAndRule(String name, String content, String rule) throws IOException {
    String affine = file("affine.json", content);
    batch("--affine", affine).assertFailed("error: affine file " + affine + rule, results);
  }

  @Test
  void anAffineFileOfTheWrongChannelCountFailsNamingTheArrayAndCounts() throws IOException {
    batch("--affine", file("affine.json", "{\"weight\": [1, 2, 3]}")).assertFailed("error: column 'features': affine"
        + " weight has 3 values, expected 2: one per channel (C = 2) for batch norm of shape (2,)", results);
  }

  @Test
  void anAffineFileThatIsNotJsonFailsNamingTheFile() throws IOException {
    String affine = file("affine.json", "weight: 1, 2");
    batch("--affine", affine).assertFailedWith("error: affine file " + affine + " is not valid JSON: ", results,
        "'weight'");
  }

  @Test
  void anAffineFileThatDoesNotExistFailsNamingIt() throws IOException {
    String affine = dir.resolve("nowhere.json").toString();
    batch("--affine", affine).assertFailed("error: affine file " + affine + " does not exist", results);
  }

  static Stream<Arguments> partialAffineFiles() {
    return Stream.of(Arguments.of("{}", null, null), Arguments.of("{\"bias\": [1, -1]}", null, new double[] {1, -1}),
        Arguments.of("{\"weight\": [2, 0.5]}", new double[] {2, 0.5}, null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("partialAffineFiles")
  void aMissingAffineKeyMeansOneOrZero(String content, double[] weight, double[] bias) throws IOException {
    JobRun run = batch("--affine", file("affine.json", content));
    run.assertSucceeded("batch", 3, 3, 0, 0);
    Normalizer expected = Normalizers.batch(fitted(), 1e-5, Affine.of(weight, bias));
    List<double[]> written = written();
    for (int i = 0; i < ROWS.length; i++) {
      assertArrayEquals(expected.apply(ROWS[i]), written.get(i), 1e-15, "row " + i);
    }
  }

  static Stream<Arguments> malformedStatisticsFiles() {
    return Stream.of(
        Arguments.of("NaN token in mean", "{\"mean\": [1, NaN], \"var\": [1, 1]}",
            ": mean[1] is NaN, not a finite number"),
        Arguments.of("Infinity token in var", "{\"mean\": [1, 2], \"var\": [Infinity, 1]}",
            ": var[0] is Infinity, not a finite number"),
        Arguments.of("NaN string in var", "{\"mean\": [1, 2], \"var\": [1, \"NaN\"]}", ": var[1] is \"NaN\", not a number"),
        Arguments.of("NaN token in mean_residual", "{\"mean\": [1, 2], \"var\": [1, 1], \"mean_residual\": [0, NaN]}",
            ": mean_residual[1] is NaN, not a finite number"),
        Arguments.of("negative var", "{\"mean\": [1, 2], \"var\": [1, -0.5]}", ": var[1] is -0.5, must be finite and >= 0"),
        Arguments.of("var missing", "{\"mean\": [1, 2]}", ": the key 'var' is missing"),
        Arguments.of("mean missing", "{\"var\": [1, 2]}", ": the key 'mean' is missing"),
        Arguments.of("lengths differ", "{\"mean\": [1, 2], \"var\": [1, 2, 3]}",
            ": mean has 2 values and var 3; they must have one value per channel"),
        Arguments.of("another method", "{\"method\": \"layer\", \"mean\": [1, 2], \"var\": [1, 1]}",
            ": method is 'layer', expected 'batch'"),
        Arguments.of("an array", "[1, 2]", ": expected a JSON object with mean and var"),
        Arguments.of("mean_residual of another length", "{\"mean\": [1, 2], \"var\": [1, 1], \"mean_residual\": [0, 0, 0]}",
            ": mean_residual has 3 values, the shape has 2 channels"),
        Arguments.of("mean_residual beyond half an ulp", "{\"mean\": [1, 2], \"var\": [1, 1], \"mean_residual\": [0, 1e300]}",
            ": mean_residual[1] is 1.0E300, more than half an ulp of mean[1] = 2.0 (2.220446049250313E-16): it is"
                + " what rounding the mean to a double lost"),
        Arguments.of("var_unbiased of another length", "{\"mean\": [1, 2], \"var\": [1, 1], \"var_unbiased\": [1]}",
            ": var_unbiased has 1 values, the shape has 2 channels"),
        Arguments.of("negative var_unbiased", "{\"mean\": [1, 2], \"var\": [1, 1], \"var_unbiased\": [1, -2]}",
            ": var_unbiased[1] is -2.0, must be >= 0 (or NaN: unknown)"),
        Arguments.of("std of another length", "{\"mean\": [1, 2], \"var\": [1, 4], \"std\": [1]}",
            ": std has 1 values, the shape has 2 channels"),
        Arguments.of("negative std", "{\"mean\": [1, 2], \"var\": [1, 4], \"std\": [1, -2]}", ": std[1] is -2.0, must be >= 0"),
        Arguments.of("std not the root of var", "{\"mean\": [1, 2], \"var\": [1, 4], \"std\": [1, 3]}",
            ": std[1] is 3.0 but var[1] is 4.0: std must be the square root of var (the job normalizes with var)"),
        Arguments.of("negative count", "{\"mean\": [1, 2], \"var\": [1, 1], \"count\": -3}",
            ": count is -3; it must be a whole number >= 0"),
        Arguments.of("fractional count", "{\"mean\": [1, 2], \"var\": [1, 1], \"count\": 2.5}",
            ": count is 2.5; it must be a whole number >= 0"),
        Arguments.of("count as text", "{\"mean\": [1, 2], \"var\": [1, 1], \"count\": \"3\"}",
            ": count is \"3\"; it must be a whole number >= 0"),
        Arguments.of("a size of 0 in shape", "{\"shape\": [2, 0], \"mean\": [1, 2], \"var\": [1, 1]}",
            ": shape is [2,0]; it must be an array of sizes > 0, channels first"),
        Arguments.of("shape not an array", "{\"shape\": 2, \"mean\": [1, 2], \"var\": [1, 1]}",
            ": shape is 2; it must be an array of sizes > 0, channels first"),
        Arguments.of("shape of other channels", "{\"shape\": [3], \"mean\": [1, 2], \"var\": [1, 1]}",
            ": shape (3,) has 3 channels but mean has 2 values"),
        Arguments.of("algorithm not text", "{\"mean\": [1, 2], \"var\": [1, 1], \"algorithm\": 3}",
            ": algorithm is 3; it must be a string"),
        Arguments.of("negative eps", "{\"mean\": [1, 2], \"var\": [1, 1], \"eps\": -1}", ": eps is -1; it must be a number >= 0"),
        Arguments.of("eps as text", "{\"mean\": [1, 2], \"var\": [1, 1], \"eps\": \"1e-5\"}",
            ": eps is \"1e-5\"; it must be a number >= 0"),
        Arguments.of("negative num_batches_tracked", "{\"mean\": [1, 2], \"var\": [1, 1], \"num_batches_tracked\": -1}",
            ": num_batches_tracked is -1; it must be a whole number >= 0"),
        Arguments.of("running_mean alone", "{\"mean\": [1, 2], \"var\": [1, 1], \"running_mean\": [0, 0]}",
            ": running_mean is given without running_var; a replay starts from both"),
        Arguments.of("running statistics of other channels",
            "{\"mean\": [1, 2], \"var\": [1, 1], \"running_mean\": [0, 0, 0], \"running_var\": [1, 1, 1]}",
            ": running_mean has 3 values, the shape has 2 channels"),
        Arguments.of("negative running_var", "{\"mean\": [1, 2], \"var\": [1, 1], \"running_mean\": [0, 0],"
            + " \"running_var\": [1, -1]}", ": running_var[1] is -1.0, must be >= 0"),
        Arguments.of("a key's shape differs", "{\"shape\": [2], \"mean\": [1, 2], \"var\": [1, 1], \"by\": [\"k\"],"
            + " \"keys\": [{\"key\": {\"k\": \"a\"}, \"shape\": [2, 1], \"mean\": [1, 2], \"var\": [1, 1]}]}",
            ", keys[0]: shape is (2,1), but the file's shape is (2,)"),
        Arguments.of("a key's mean_residual beyond half an ulp", "{\"mean\": [1, 2], \"var\": [1, 1], \"by\": [\"k\"],"
            + " \"keys\": [{\"key\": {\"k\": \"a\"}, \"mean\": [1, 2], \"var\": [1, 1], \"mean_residual\": [5, 0]}]}",
            ", keys[0]: mean_residual[0] is 5.0, more than half an ulp of mean[0] = 1.0 (1.1102230246251565E-16): it is"
                + " what rounding the mean to a double lost"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformedStatisticsFiles")
  void aMalformedStatisticsFileFailsNamingTheFileAndRule(String name, String content, String rule) throws IOException {
    String stats = file("stats-in.json", content);
    batch("--stats-in", stats).assertFailed("error: stats-in file " + stats + rule, results);
  }

  @Test
  void statisticsOfAnotherChannelCountThanTheShapeFailNamingTheFile() throws IOException {
    String stats = file("stats-in.json", "{\"mean\": [1, 2, 3], \"var\": [1, 1, 1]}");
    batch("--stats-in", stats, "--shape", "2").assertFailed("error: stats-in file " + stats + " has statistics of 3"
        + " channels but --shape (2,) has 2", results);
  }

  @Test
  void aFileShapeOtherThanTheShapeFailsNamingBoth() throws IOException {
    String stats = file("stats-in.json", "{\"shape\": [2, 3], \"mean\": [1, 2], \"var\": [1, 1]}");
    batch("--stats-in", stats, "--shape", "2,2").assertFailed("error: stats-in file " + stats + ": shape is (2,3), but"
        + " --shape is (2,2)", results);
  }

  @Test
  void aKeyShapeOtherThanTheShapeFailsNamingBoth() throws IOException {
    String stats = file("stats-in.json", "{\"by\": [\"id\"], \"keys\": [{\"key\": {\"id\": 0}, \"shape\": [2, 3],"
        + " \"mean\": [1, 2], \"var\": [1, 1]}]}");
    batch("--stats-in", stats, "--by", "id", "--shape", "2,2").assertFailed("error: stats-in file " + stats + ": shape is"
        + " (2,3), but --shape is (2,2)", results);
  }

  /** A file of shape [C] holds per-channel statistics for any spatial size (the README's rule). */
  @Test
  void aFileOfShapeCAppliesToAShapeWithSpatialSize() throws IOException {
    batch("--stats-in", file("stats-in.json", "{\"shape\": [2], \"mean\": [1, 2], \"var\": [1, 4]}"), "--shape", "2,1")
        .assertSucceeded("batch", 3, 3, 0, 0);
    Normalizer expected = Normalizers.batch(new BatchStatistics(Shape.of(2), 0, new double[] {1, 2},
        new double[] {1, 4}, new double[] {Double.NaN, Double.NaN}), 1e-5, Affine.none());
    List<double[]> written = written();
    for (int i = 0; i < ROWS.length; i++) {
      assertArrayEquals(expected.apply(ROWS[i]), written.get(i), 0.0, "row " + i);
    }
  }

  /** A mean_residual within half an ulp of its mean is applied: the mean is mean + mean_residual. */
  @Test
  void aPlausibleMeanResidualIsApplied() throws IOException {
    double half = Math.ulp(3.0) / 2;
    batch("--stats-in", file("stats-in.json", "{\"mean\": [3, 0], \"var\": [1, 4], \"mean_residual\": [" + half
        + ", 0]}")).assertSucceeded("batch", 3, 3, 0, 0);
    Normalizer expected = Normalizers.batch(new BatchStatistics(Shape.of(2), 0, new double[] {3, 0},
        new double[] {half, 0}, new double[] {1, 4}, new double[] {Double.NaN, Double.NaN}), 1e-5, Affine.none());
    List<double[]> written = written();
    for (int i = 0; i < ROWS.length; i++) {
      assertArrayEquals(expected.apply(ROWS[i]), written.get(i), 0.0, "row " + i);
    }
    assertEquals(-half / Math.sqrt(1 + 1e-5), written.get(1)[0], 1e-30, "row 1 is 3 - (3 + half an ulp)");
  }

  @Test
  void statisticsOfAnotherChannelCountThanTheDataFailNamingTheRowAndTheFile() throws IOException {
    String stats = file("stats-in.json", "{\"mean\": [1, 2, 3], \"var\": [1, 1, 1]}");
    batch("--stats-in", stats).assertFailed("error: column 'features', row 0: tensor of length 2 does not match shape"
        + " (3,) (3 elements); shape (3,) is that of --stats-in file " + stats, results);
  }

  @Test
  void aStatisticsFileThatIsNotJsonFailsNamingTheFile() throws IOException {
    String stats = file("stats-in.json", "mean=1,2");
    batch("--stats-in", stats).assertFailedWith("error: stats-in file " + stats + " is not valid JSON: ", results,
        "'mean'");
  }

  @Test
  void aStatisticsFileThatDoesNotExistFailsNamingIt() throws IOException {
    String stats = dir.resolve("nowhere.json").toString();
    batch("--stats-in", stats).assertFailed("error: stats-in file " + stats + " does not exist", results);
  }

  /** Given statistics have no var_unbiased: the file written from them holds NaN there, and reads back. */
  @Test
  void statisticsWrittenFromGivenStatisticsReadBackTheSame() throws IOException {
    String given = file("given.json", "{\"mean\": [1, 2], \"var\": [1, 4]}");
    JobRun first = batch("--stats-in", given);
    first.assertSucceeded("batch", 3, 3, 0, 0);
    List<double[]> firstOutput = written();
    Path replayResults = Files.createDirectories(dir.resolve("replay"));
    JobRun replay = JobRun.of("--input", input.toString(), "--output", replayResults.resolve("out").toString(),
        "--method", "batch", "--stats-in", results.resolve("stats.json").toString());
    replay.assertSucceeded("batch", 3, 3, 0, 0);
    results = replayResults;
    List<double[]> replayed = written();
    Normalizer expected = Normalizers.batch(new BatchStatistics(Shape.of(2), 0, new double[] {1, 2},
        new double[] {1, 4}, new double[] {Double.NaN, Double.NaN}), 1e-5, Affine.none());
    for (int i = 0; i < ROWS.length; i++) {
      assertArrayEquals(expected.apply(ROWS[i]), firstOutput.get(i), 1e-15, "row " + i);
      assertArrayEquals(firstOutput.get(i), replayed.get(i), 0.0, "row " + i);
    }
    assertEquals(ROWS.length, replayed.size());
  }
}
