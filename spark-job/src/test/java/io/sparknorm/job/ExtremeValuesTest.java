package io.sparknorm.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparknorm.core.ReferenceMoments;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The job on valid but extreme doubles, in-process, against exact (BigDecimal) references: values
 * near 1e308, whose squares overflow a double, and subnormal values (4.9e-324, 1e-310) among zeros
 * and small normals. Statistics are held to 1e-12 of the exact ones (as {@code GoldenJobTest}
 * holds {@code --stats-out}), normalized values to 1e-9 relative (the README's promise for
 * float64 is 1e-9 of max(1, |y|)); below 2.2e-308 doubles are 4.9e-324 apart, so one such step
 * is allowed on top (for a normalized value, one step of its mean, divided by sqrt(var + eps)).
 * Where the exact statistics do not fit in a double, the job must refuse with an error line that
 * names the column and says that they overflow.
 */
class ExtremeValuesTest extends JobTestSupport {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final double EPS = 1e-5;

  /** A statistic: |got - exact| within 1e-12 of max(|exact|, scale), plus one subnormal step. */
  private static void assertNear(double exact, double got, double scale, String what) {
    double tolerance = 1e-12 * Math.max(Math.abs(exact), scale) + Double.MIN_VALUE;
    assertTrue(Math.abs(got - exact) <= tolerance, () -> what + ": got " + got + ", exact " + exact);
  }

  /**
   * A normalized value: within 1e-9 of the exact one, relative, plus what one subnormal step of the
   * mean (a double, which cannot be nearer) becomes once divided by sqrt(var + eps).
   */
  private static void assertNormalized(ReferenceMoments exact, double x, double got, String what) {
    double y = exact.normalized(x, EPS);
    double step = Double.MIN_VALUE * (1 + 1 / Math.sqrt(exact.variance().doubleValue() + EPS));
    double tolerance = 1e-9 * Math.abs(y) + step;
    assertTrue(Math.abs(got - y) <= tolerance, () -> what + ": got " + got + ", exact " + y);
  }

  private Path jsonLines(List<double[]> rows) throws IOException {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      List<String> values = new ArrayList<>();
      for (double v : rows.get(i)) {
        values.add(Double.toString(v));
      }
      lines.add("{\"id\": " + i + ", \"features\": [" + String.join(", ", values) + "]}");
    }
    Path input = dir.resolve("input.jsonl");
    Files.write(input, lines);
    return input;
  }

  private JobRun run(Path input, String method, String shape) {
    return JobRun.of("--input", input.toString(), "--output", results.resolve("out").toString(), "--method", method,
        "--shape", shape, "--stats-out", method.equals("batch") ? results.resolve("stats.json").toString() : null);
  }

  /** The written rows in input order, as doubles. */
  private List<double[]> written() {
    List<double[]> rows = new ArrayList<>();
    for (Row row : spark.read().parquet(results.resolve("out").toString()).orderBy("id").collectAsList()) {
      List<Double> values = row.getList(row.fieldIndex("features"));
      rows.add(values.stream().mapToDouble(Double::doubleValue).toArray());
    }
    return rows;
  }

  /** Channel c of every row (rows of C x S values, channels first). */
  private static double[] channel(List<double[]> rows, int c, int channels) {
    int spatial = rows.get(0).length / channels;
    double[] values = new double[rows.size() * spatial];
    for (int r = 0; r < rows.size(); r++) {
      System.arraycopy(rows.get(r), c * spatial, values, r * spatial, spatial);
    }
    return values;
  }

  /** Checks --stats-out and every written value against the exact batch statistics of the input. */
  private void assertBatchNormIsExact(List<double[]> input, int channels) throws IOException {
    JsonNode stats = JSON.readTree(results.resolve("stats.json").toFile());
    ReferenceMoments[] exact = new ReferenceMoments[channels];
    for (int c = 0; c < channels; c++) {
      exact[c] = ReferenceMoments.of(channel(input, c, channels));
      double spread = Math.sqrt(exact[c].variance().doubleValue());
      assertNear(exact[c].mean().doubleValue(), stats.get("mean").get(c).asDouble(), spread, "mean[" + c + "]");
      assertNear(exact[c].variance().doubleValue(), stats.get("var").get(c).asDouble(), 0, "var[" + c + "]");
    }
    List<double[]> output = written();
    assertEquals(input.size(), output.size());
    int spatial = input.get(0).length / channels;
    for (int r = 0; r < input.size(); r++) {
      for (int i = 0; i < input.get(r).length; i++) {
        assertNormalized(exact[i / spatial], input.get(r)[i], output.get(r)[i], "row " + r + " element " + i);
      }
    }
  }

  @ParameterizedTest(name = "shape ({0})")
  @ValueSource(strings = {"2", "2,2"})
  void batchStatisticsBeyondTheDoubleRangeFailNamingTheColumnAndTheOverflow(String shape) throws IOException {
    double[] big = {1.5e308, -1.5e308, 1.0e308, -1.0e308};
    assertTrue(ReferenceMoments.of(big).variance().compareTo(new BigDecimal(Double.MAX_VALUE)) > 0,
        "not representable");
    List<double[]> rows = shape.equals("2")
        ? List.of(new double[] {big[0], 1}, new double[] {big[1], 2}, new double[] {big[2], 3}, new double[] {big[3], 4})
        : List.of(new double[] {big[0], big[1], 1, 2}, new double[] {big[2], big[3], 3, 4});
    run(jsonLines(rows), "batch", shape).assertFailedWith("error: column 'features': ", results, "overflow");
  }

  @Test
  void aConstantChannelNear1e308HasExactStatisticsAndNormalizesToZero() throws IOException {
    List<double[]> rows = List.of(new double[] {1.5e308, -1.0e308, 1.0}, new double[] {1.5e308, -1.0e308, 2.0},
        new double[] {1.5e308, -1.0e308, 4.0});
    JobRun run = run(jsonLines(rows), "batch", "3");
    run.assertSucceeded("batch", 3, 3, 0, 0);
    JsonNode stats = JSON.readTree(results.resolve("stats.json").toFile());
    assertEquals(1.5e308, stats.get("mean").get(0).asDouble(), 0.0);
    assertEquals(-1.0e308, stats.get("mean").get(1).asDouble(), 0.0);
    assertEquals(0.0, stats.get("var").get(0).asDouble(), 0.0);
    assertEquals(0.0, stats.get("var").get(1).asDouble(), 0.0);
    assertBatchNormIsExact(rows, 3);
  }

  /**
   * One value of 2.5e154 among zeros: the exact variance, 1.17e308, fits in a double, but the
   * square of the value (6.25e308) does not. Exact sums hold it all the same: right statistics.
   */
  @Test
  void batchStatisticsWhoseSquaresOverflowAreRight() throws IOException {
    List<double[]> rows = List.of(new double[] {2.5e154, 1}, new double[] {0, 2}, new double[] {0, 3},
        new double[] {0, 4});
    assertTrue(Double.isFinite(ReferenceMoments.of(2.5e154, 0, 0, 0).variance().doubleValue()), "representable");
    JobRun run = run(jsonLines(rows), "batch", "2");
    run.assertSucceeded("batch", 4, 4, 0, 0);
    assertBatchNormIsExact(rows, 2);
  }

  /**
   * Layer norm of a row whose variance (1.6e616) is beyond the double range, and of one whose
   * deviations square beyond it: the normalized values are ordinary numbers (about -1.5 to 1.7),
   * and they must come out right.
   */
  @Test
  void layerNormOfValuesNear1e308IsRight() throws IOException {
    // Deviations and squares overflow a double here: the segment is normalized scaled by 2^-600, which is exact.
    List<double[]> rows = List.of(new double[] {1.5e308, -1.5e308, 1.0e308, -1.0e308},
        new double[] {2.5e154, 0, 0, 0}, new double[] {1, 2, 3, 4});
    JobRun run = run(jsonLines(rows), "layer", "4");
    run.assertSucceeded("layer", 3, 3, 0, 0);
    List<double[]> output = written();
    for (int r = 0; r < rows.size(); r++) {
      ReferenceMoments exact = ReferenceMoments.of(rows.get(r));
      for (int i = 0; i < 4; i++) {
        assertNormalized(exact, rows.get(r)[i], output.get(r)[i], "row " + r + " element " + i);
      }
    }
  }

  private static final double[] SUBNORMAL_0 = {4.9e-324, 1e-310, 0.0, 2.5e-308, 3e-300, -4.9e-324,
      2.2250738585072014e-308, 0.0};
  private static final double[] SUBNORMAL_1 = {1.0, 4.9e-324, 0.5, 1e-310, 0.0, -1e-310, 0.25, 4.9e-324};

  /** Channel 0 all subnormal, zero or tiny (its exact variance, 1e-601, rounds to 0), channel 1 mixed with normals. */
  @ParameterizedTest(name = "shape ({0})")
  @ValueSource(strings = {"2", "2,2"})
  void batchNormOfSubnormalValuesIsExact(String shape) throws IOException {
    int spatial = shape.equals("2") ? 1 : 2;
    List<double[]> rows = new ArrayList<>();
    for (int r = 0; r < SUBNORMAL_0.length / spatial; r++) {
      double[] row = new double[2 * spatial];
      System.arraycopy(SUBNORMAL_0, r * spatial, row, 0, spatial);
      System.arraycopy(SUBNORMAL_1, r * spatial, row, spatial, spatial);
      rows.add(row);
    }
    JobRun run = run(jsonLines(rows), "batch", shape);
    run.assertSucceeded("batch", rows.size(), rows.size(), 0, 0);
    assertBatchNormIsExact(rows, 2);
  }

  @Test
  void layerNormOfSubnormalValuesIsExact() throws IOException {
    List<double[]> rows = List.of(new double[] {4.9e-324, 1e-310, 0.0, 2.5e-308},
        new double[] {1e-310, -4.9e-324, 0.0, 1.0}, new double[] {0.0, 0.0, 0.0, 4.9e-324},
        new double[] {-1e-310, 3e-300, 2.2250738585072014e-308, 0.0});
    JobRun run = run(jsonLines(rows), "layer", "4");
    run.assertSucceeded("layer", 4, 4, 0, 0);
    List<double[]> output = written();
    for (int r = 0; r < rows.size(); r++) {
      ReferenceMoments exact = ReferenceMoments.of(rows.get(r));
      for (int i = 0; i < 4; i++) {
        assertNormalized(exact, rows.get(r)[i], output.get(r)[i], "row " + r + " element " + i);
      }
    }
  }

  /**
   * Layer norm with eps 0 of rows whose deviations square below the smallest double (1e-200,
   * subnormals): the variance underflows, yet the exact results are ordinary numbers (about -1.22, 0
   * and 1.22 for the first row), and they must come out right, not as -Infinity, NaN, Infinity.
   */
  @Test
  void layerNormWithEpsZeroOfTinyValuesIsRight() throws IOException {
    List<double[]> rows = List.of(new double[] {1e-200, 2e-200, 3e-200}, new double[] {4.9e-324, 0.0, 1e-310},
        new double[] {-3e-170, 1e-170, 5e-171}, new double[] {1, 2, 3});
    JobRun run = JobRun.of("--input", jsonLines(rows).toString(), "--output", results.resolve("out").toString(),
        "--method", "layer", "--shape", "3", "--eps", "0");
    run.assertSucceeded("layer", 4, 4, 0, 0);
    List<double[]> output = written();
    for (int r = 0; r < rows.size(); r++) {
      ReferenceMoments exact = ReferenceMoments.of(rows.get(r));
      for (int i = 0; i < 3; i++) {
        double y = exact.normalized(rows.get(r)[i], 0);
        double got = output.get(r)[i];
        assertTrue(Math.abs(got - y) <= 1e-12 * Math.max(1, Math.abs(y)), "row " + r + " element " + i + ": got "
            + got + ", exact " + y);
      }
    }
    assertEquals(-Math.sqrt(1.5), output.get(0)[0], 1e-15);
  }

  private static final String CONSTANT_RULE = "the sample has variance 0 (all its values are equal) and eps is 0: its"
      + " normalized values are 0/0, not finite";

  /** Rows 0 and 2 normalize; row 1 is constant, whose exact result with eps 0 is 0/0: an invalid row. */
  private static final List<double[]> WITH_A_CONSTANT_ROW = List.of(new double[] {1, 2, 3},
      new double[] {5, 5, 5}, new double[] {1e-200, 2e-200, 3e-200});

  private JobRun layerWithEpsZero(String handleInvalid) throws IOException {
    return JobRun.of("--input", jsonLines(WITH_A_CONSTANT_ROW).toString(), "--output",
        results.resolve("out").toString(), "--method", "layer", "--shape", "3", "--eps", "0", "--handle-invalid",
        handleInvalid);
  }

  @Test
  void aConstantRowWithEpsZeroIsAnInvalidRowUnderError() throws IOException {
    layerWithEpsZero("error").assertFailed("error: column 'features', row 1: " + CONSTANT_RULE, results);
    // Instance norm names the channel.
    JobRun instance = JobRun.of("--input", jsonLines(List.of(new double[] {1, 2, 3, 4}, new double[] {1, 2, 7, 7}))
        .toString(), "--output", results.resolve("out").toString(), "--method", "instance", "--shape", "2,2", "--eps",
        "0");
    instance.assertFailed("error: column 'features', row 1: channel 1 has variance 0 (all its values are equal) and"
        + " eps is 0: its normalized values are 0/0, not finite", results);
  }

  @Test
  void aConstantRowWithEpsZeroIsDroppedUnderSkip() throws IOException {
    layerWithEpsZero("skip").assertSucceeded("layer", 3, 2, 1, 0);
    List<Row> written = spark.read().parquet(results.resolve("out").toString()).orderBy("id").collectAsList();
    assertEquals(List.of(0L, 2L), written.stream().map(r -> r.getLong(r.fieldIndex("id"))).toList());
    List<Double> tiny = written.get(1).getList(written.get(1).fieldIndex("features"));
    assertEquals(-Math.sqrt(1.5), tiny.get(0), 1e-15);
  }

  @Test
  void aConstantRowWithEpsZeroIsNullUnderKeep() throws IOException {
    layerWithEpsZero("keep").assertSucceeded("layer", 3, 3, 0, 1);
    List<Row> written = spark.read().parquet(results.resolve("out").toString()).orderBy("id").collectAsList();
    assertEquals(3, written.size());
    assertTrue(written.get(1).isNullAt(written.get(1).fieldIndex("features")), written.get(1).toString());
    List<Double> first = written.get(0).getList(written.get(0).fieldIndex("features"));
    assertEquals(-Math.sqrt(1.5), first.get(0), 1e-15);
  }

  /** Batch norm with eps 0 and a constant channel would make every value of that channel NaN or infinite: refused. */
  @Test
  void batchNormWithEpsZeroAndAConstantChannelIsRefused() throws IOException {
    Path input = jsonLines(List.of(new double[] {1, 7}, new double[] {2, 7}, new double[] {4, 7}));
    JobRun.of("--input", input.toString(), "--output", results.resolve("out").toString(), "--method", "batch",
        "--eps", "0", "--stats-out", results.resolve("stats.json").toString()).assertFailed("error: column 'features':"
            + " batch norm channel 1 has variance 0 and eps is 0: its normalized values are 0/0 or x/0, not finite;"
            + " give eps > 0", results);
  }

  /** Per key and per mini-batch too: the key's (or the mini-batch's) statistics are refused, naming it. */
  @Test
  void batchNormWithEpsZeroRefusesAKeyOrAMiniBatchWithAConstantChannel() throws IOException {
    Path input = dir.resolve("keyed.jsonl");
    Files.write(input, List.of("{\"id\": 0, \"site\": \"a\", \"features\": [1, 2]}",
        "{\"id\": 1, \"site\": \"a\", \"features\": [3, 5]}",
        "{\"id\": 2, \"site\": \"b\", \"features\": [1, 7]}",
        "{\"id\": 3, \"site\": \"b\", \"features\": [2, 7]}"));
    String rule = "batch norm channel 1 has variance 0 and eps is 0: its normalized values are 0/0 or x/0, not"
        + " finite; give eps > 0";
    JobRun.of("--input", input.toString(), "--output", results.resolve("out").toString(), "--method", "batch",
        "--by", "site", "--eps", "0").assertFailed("error: column 'features': key site='b': " + rule, results);
    JobRun.of("--input", input.toString(), "--output", results.resolve("out").toString(), "--method", "batch",
        "--batch-size", "2", "--order-by", "id", "--eps", "0")
        .assertFailed("error: column 'features': mini-batch 2 of 2: " + rule, results);
  }
}
