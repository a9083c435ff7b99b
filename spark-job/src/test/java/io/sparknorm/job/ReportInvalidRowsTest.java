package io.sparknorm.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparknorm.core.ChannelSketches;
import io.sparknorm.core.NormMethod;
import io.sparknorm.core.Shape;
import io.sparknorm.report.ChannelReport;
import io.sparknorm.report.Report;
import io.sparknorm.report.ReportPage;
import io.sparknorm.spark.HandleInvalid;
import io.sparknorm.spark.LocalSpark;
import io.sparknorm.spark.NormalizeSpec;
import io.sparknorm.spark.SketchColumns;
import io.sparknorm.spark.StatisticsReport;
import io.sparknorm.spark.TensorNormalization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The report over rows the statistics leave out: nine valid rows of shape (2, 3) and one that holds NaN in
 * channel 0 and 1000.0 in both channels. With {@code --handle-invalid skip} or {@code keep} that row is in no
 * statistic, so the report's counts, min, max, quantiles and input histograms are those of the nine valid rows, and
 * its output histograms span only the values written (a kept row's result is null): through the job (batch and per
 * sample, mini-batch replay, per key, statistics only) and the library call.
 */
@ExtendWith(LocalSpark.class)
class ReportInvalidRowsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int VALID_ROWS = 9;
  private static final int SPATIAL = 3;
  private static final double EPS = 1e-5;
  private static SparkSession spark;

  @TempDir
  Path dir;

  /** Valid row i of shape (2, 3): channel 0 spans [0.5, 9], channel 1 [-5, 12] over the nine. */
  private static double[] valid(int i) {
    return new double[] {i + 0.5, 1.0 + i, 2.0, 3.0 - i, 4.0, i * 1.5};
  }

  /** Ten JSON lines {"id", "key", "features"}: the valid rows, with the invalid one fifth. */
  private Path input() throws IOException {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < VALID_ROWS; i++) {
      if (i == 4) {
        lines.add("{\"id\": 99, \"key\": \"a\", \"features\": [NaN, 1000.0, 2.0, 1000.0, 4.0, 5.0]}");
      }
      double[] v = valid(i);
      StringBuilder values = new StringBuilder();
      for (double x : v) {
        values.append(values.length() == 0 ? "" : ", ").append(x);
      }
      lines.add("{\"id\": " + i + ", \"key\": \"" + (i % 2 == 0 ? "a" : "b") + "\", \"features\": [" + values + "]}");
    }
    Path input = dir.resolve("rows.jsonl");
    Files.write(input, lines);
    return input;
  }

  /** The valid rows' [min, max] of channel c. */
  private static double[] validRange(int c) {
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < VALID_ROWS; i++) {
      for (int j = c * SPATIAL; j < (c + 1) * SPATIAL; j++) {
        lo = Math.min(lo, valid(i)[j]);
        hi = Math.max(hi, valid(i)[j]);
      }
    }
    return new double[] {lo, hi};
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @CsvSource({
      "batch, skip, ''",
      "batch, keep, ''",
      "layer, skip, ''",
      "layer, keep, ''",
      "group, keep, --groups 2",
      "batch, keep, --batch-size 4",
      "batch, skip, --by key",
      "batch, keep, --stats-only"})
  void theReportSketchesTheValidRowsAndTheValuesWritten(String method, String handleInvalid, String extra)
      throws IOException {
    Path report = dir.resolve("report.html");
    Path stats = dir.resolve("stats.json");
    Path output = dir.resolve("out");
    boolean statsOnly = extra.equals("--stats-only");
    List<String> args = new ArrayList<>(List.of("--input", input().toString(), "--method", method, "--shape", "2,3",
        "--handle-invalid", handleInvalid, "--report", report.toString(), "--quiet"));
    args.addAll(statsOnly ? List.of("--stats-out", stats.toString()) : List.of("--output", output.toString()));
    if (!extra.isEmpty()) {
      args.addAll(Arrays.asList(extra.split(" ")));
    }
    String out = ReportJobTest.run(args.toArray(new String[0]));
    // --stats-only writes no row: the invalid one is counted as left out of the statistics (skipped).
    boolean kept = handleInvalid.equals("keep") && !statsOnly;
    assertTrue(out.startsWith("sparknorm: method=" + method + " rows_in=10 rows_out=" + (statsOnly ? 0 : kept ? 10 : 9)
        + " rows_skipped=" + (kept ? 0 : 1) + " invalid_kept=" + (kept ? 1 : 0) + " "), out);

    ReportPage page = new ReportPage(Files.readString(report));
    assertEquals(2, page.rows.size());
    for (ReportPage.Row row : page.rows) {
      int c = row.channel();
      double[] range = validRange(c);
      String where = method + " " + handleInvalid + " " + extra + ", channel " + c;
      assertEquals(VALID_ROWS * SPATIAL, Long.parseLong(row.attr("data-count")), where);
      assertEquals(range[0], Double.parseDouble(row.attr("data-min")), 0.0, where);
      assertEquals(range[1], Double.parseDouble(row.attr("data-max")), 0.0, where);
      for (String q : List.of("data-q01", "data-q50", "data-q99")) {
        double value = Double.parseDouble(row.attr(q));
        assertTrue(value >= range[0] && value <= range[1], where + " " + q + " " + value);
      }
      ReportPage.Svg input = row.svgs().get(0);
      assertEquals("hist input", input.cls());
      assertEquals(range[0], Double.parseDouble(input.attrs().get("data-lo")), 0.0, where);
      assertEquals(range[1], Double.parseDouble(input.attrs().get("data-hi")), 0.0, where);
      assertEquals(VALID_ROWS * SPATIAL, Double.parseDouble(input.attrs().get("data-total")), 0.0, where);

      ReportPage.Svg written = row.svgs().get(1);
      assertEquals("hist output", written.cls());
      double[] expected = statsOnly ? mapped(range, JSON.readTree(stats.toFile()), c)
          : writtenRange(spark.read().parquet(output.toString()), c);
      assertEquals(expected[0], Double.parseDouble(written.attrs().get("data-lo")), 1e-9, where);
      assertEquals(expected[1], Double.parseDouble(written.attrs().get("data-hi")), 1e-9, where);
      assertEquals(VALID_ROWS * SPATIAL, Double.parseDouble(written.attrs().get("data-total")), 0.0, where);
    }
  }

  /** The library's report, in one Spark job: the same rule. */
  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"BATCH, SKIP", "BATCH, KEEP", "LAYER, SKIP", "LAYER, KEEP"})
  void theLibrarysReportLeavesTheInvalidRowOut(NormMethod method, HandleInvalid handleInvalid) throws IOException {
    Dataset<Row> data = spark.read().json(input().toString());
    NormalizeSpec spec = new NormalizeSpec(method).shape(Shape.of(2, 3)).handleInvalid(handleInvalid);
    Report report = StatisticsReport.of(data, spec);
    Dataset<Row> normalized = TensorNormalization.normalize(data, spec).frame();
    for (ChannelReport channel : report.channels()) {
      double[] range = validRange(channel.index());
      assertEquals(VALID_ROWS * SPATIAL, channel.count());
      assertEquals(range[0], channel.min(), 0.0);
      assertEquals(range[1], channel.max(), 0.0);
      assertEquals(range[0], channel.input().lo(), 0.0);
      assertEquals(range[1], channel.input().hi(), 0.0);
      double[] written = writtenRange(normalized, channel.index());
      assertEquals(written[0], channel.output().lo(), 1e-9);
      assertEquals(written[1], channel.output().hi(), 1e-9);
      assertEquals(VALID_ROWS * SPATIAL, channel.output().total(), 0.0);
    }
    // The summary's rows: all that were read, the invalid one skipped or kept.
    assertEquals(10, report.rowsIn());
    assertEquals(handleInvalid == HandleInvalid.SKIP ? 1 : 0, report.rowsSkipped());
    assertEquals(handleInvalid == HandleInvalid.KEEP ? 1 : 0, report.invalidKept());
  }

  /**
   * The two kinds of sketch column: of an input, the valid rows only; of an output, every value written (a
   * non-finite one is counted, the row's finite ones are sketched), null adding nothing.
   */
  @Test
  void anInputsSketchesLeaveAnInvalidRowOutAnOutputsSketchEveryValue() {
    StructType schema = new StructType().add("features", DataTypes.createArrayType(DataTypes.DoubleType));
    Dataset<Row> frame = spark.createDataFrame(List.of(RowFactory.create((Object) new Double[] {1.0, 2.0, 3.0, 4.0,
        5.0, 6.0}), RowFactory.create((Object) new Double[] {Double.NaN, 1000.0, 2.0, 1000.0, 4.0, 5.0}),
        RowFactory.create((Object) null)), schema);
    Shape shape = Shape.of(2, 3);
    Row row = frame.agg(SketchColumns.ofInput(schema, new NormalizeSpec(NormMethod.BATCH), shape),
        SketchColumns.of(schema, "features", shape)).first();
    ChannelSketches input = ChannelSketches.fromBytes((byte[]) row.get(0));
    ChannelSketches output = ChannelSketches.fromBytes((byte[]) row.get(1));
    assertEquals(3, input.count());
    assertEquals(List.of(3L, 3L), List.of(input.finiteCount(0), input.finiteCount(1)));
    assertEquals(List.of(3.0, 6.0), List.of(input.max(0), input.max(1)));
    assertEquals(0, input.nanCount(0));
    assertEquals(6, output.count());
    assertEquals(List.of(5L, 6L), List.of(output.finiteCount(0), output.finiteCount(1)));
    assertEquals(List.of(1000.0, 1000.0), List.of(output.max(0), output.max(1)));
    assertEquals(1, output.nanCount(0));
  }

  /** Channel c's [min, max] over the non-null tensors of a normalized frame's "features". */
  private static double[] writtenRange(Dataset<Row> output, int c) {
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    int tensors = 0;
    for (Row row : output.select("features").collectAsList()) {
      if (row.isNullAt(0)) {
        continue;
      }
      tensors++;
      List<Double> values = row.getList(0);
      for (int j = c * SPATIAL; j < (c + 1) * SPATIAL; j++) {
        lo = Math.min(lo, values.get(j));
        hi = Math.max(hi, values.get(j));
      }
    }
    assertEquals(VALID_ROWS, tensors, "the written tensors");
    return new double[] {lo, hi};
  }

  /** Batch norm's output of the valid range with the statistics file's mean and var. */
  private static double[] mapped(double[] range, JsonNode stats, int c) {
    double mean = stats.get("mean").get(c).asDouble();
    double a = 1 / Math.sqrt(stats.get("var").get(c).asDouble() + EPS);
    return new double[] {(range[0] - mean) * a, (range[1] - mean) * a};
  }
}
