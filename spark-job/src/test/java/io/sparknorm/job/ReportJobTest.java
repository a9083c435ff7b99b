package io.sparknorm.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparknorm.report.ChannelReport;
import io.sparknorm.report.Report;
import io.sparknorm.report.Flag;
import io.sparknorm.report.ChannelHistogram;
import io.sparknorm.report.ReportPage;
import io.sparknorm.spark.LocalSpark;
import io.sparknorm.testing.Chromium;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job's {@code --report} on the digits, opened in headless Chromium: batch norm with each of
 * the 64 pixels a channel (always-zero pixels are constant; pixels that are either blank or inked
 * are multi-modal), the numbers on the page those of the statistics file, and group norm over
 * (1, 8, 8). Screenshots go to {@code target/report-screenshots/} for people to look at.
 */
@ExtendWith(LocalSpark.class)
class ReportJobTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path DIGITS = Path.of("..", "data", "digits.jsonl");
  private static final Path SCREENSHOTS = Path.of("target", "report-screenshots");
  private static SparkSession spark;

  @TempDir
  Path dir;

  @Test
  void digitsPerPixelReportFlagsConstantAndMultimodalPixels() throws IOException {
    Path report = dir.resolve("digits.html");
    Path stats = dir.resolve("stats.json");
    String out = run("--input", DIGITS.toString(), "--output", dir.resolve("out").toString(), "--method", "batch",
        "--shape", "64", "--stats-out", stats.toString(), "--report", report.toString(), "--quiet");
    assertTrue(out.startsWith("sparknorm: method=batch rows_in=1797 rows_out=1797 "), out);

    Files.createDirectories(SCREENSHOTS);
    Chromium.Result opened = Chromium.get().open(report, null, SCREENSHOTS.resolve("digits-64.png"));
    assertEquals(List.of(), opened.console(), opened.consoleText());
    assertTrue(Files.size(SCREENSHOTS.resolve("digits-64.png")) > 10_000);
    ReportPage page = new ReportPage(opened.dom());
    assertEquals(64, page.rows.size());
    JsonNode file = JSON.readTree(stats.toFile());
    int[][] pixels = pixels();
    Set<Integer> constant = new TreeSet<>();
    Set<Integer> multimodal = new TreeSet<>();
    Set<Integer> blankOrInked = blankOrInked(pixels);
    for (ReportPage.Row row : page.rows) {
      int c = row.channel();
      assertEquals(List.of("hist input", "hist output"), row.svgs().stream().map(ReportPage.Svg::cls).toList());
      // The page's numbers are the statistics file's.
      assertEquals(file.get("mean").get(c).asDouble(), Double.parseDouble(row.attr("data-mean")), 0.0);
      assertEquals(file.get("var").get(c).asDouble(), Double.parseDouble(row.attr("data-var")), 0.0);
      assertEquals(file.get("std").get(c).asDouble(), Double.parseDouble(row.attr("data-std")), 0.0);
      assertEquals(1797, Long.parseLong(row.attr("data-count")));
      List<String> flags = List.of(row.attr("data-flags").split(" "));
      if (flags.contains("constant")) {
        constant.add(c);
      }
      if (flags.contains("multimodal")) {
        multimodal.add(c);
      }
    }
    assertEquals(alwaysZero(pixels), constant);
    assertTrue(multimodal.containsAll(blankOrInked), "multimodal " + multimodal + ", blank or inked " + blankOrInked);
    assertTrue(blankOrInked.size() >= 5, blankOrInked.toString());
    // The 64 channels are the pixels of an 8 x 8 picture: mean, std and flag maps, a pixel per channel.
    for (String picture : List.of("mean", "std", "flags")) {
      String figure = opened.dom().replaceFirst("(?s).*<figure class=\"picture\" data-picture=\"" + picture
          + "\">(.*?)</figure>.*", "$1");
      assertEquals(64, ReportPage.count(figure, "<rect class=\"px\""), picture);
    }

    // The flagged-only view hides the others, in the browser.
    ReportPage flagged = new ReportPage(Chromium.get().open(report, "flagged", null).dom());
    assertTrue(flagged.visibleChannels().containsAll(constant));
    assertTrue(flagged.visibleChannels().size() < 64, flagged.visibleChannels().toString());
  }

  @Test
  void groupNormOverAnImageShapeHasOneChannel() throws IOException {
    Path report = dir.resolve("group.html");
    String out = run("--input", DIGITS.toString(), "--output", dir.resolve("out").toString(), "--method", "group",
        "--shape", "1,8,8", "--groups", "1", "--report", report.toString(), "--quiet");
    assertTrue(out.startsWith("sparknorm: method=group rows_in=1797 rows_out=1797 "), out);
    Files.createDirectories(SCREENSHOTS);
    Chromium.Result opened = Chromium.get().open(report, null, SCREENSHOTS.resolve("digits-group-1x8x8.png"));
    assertEquals(List.of(), opened.console(), opened.consoleText());
    ReportPage page = new ReportPage(opened.dom());
    assertEquals(1, page.rows.size());
    ReportPage.Row row = page.rows.get(0);
    assertEquals(1797 * 64, Long.parseLong(row.attr("data-count")));
    assertEquals(2, row.svgs().size());
    // Group norm's output over all samples: mean 0 and variance 1 up to eps, as the sketches of the written column say.
    assertEquals("(1,8,8)", page.summary.get("shape")[0]);
  }

  /** The library call and the ML model's method: the same report in one Spark job, without the job. */
  @Test
  void theLibraryAndTheModelMakeTheSameReport() throws IOException {
    org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> digits = spark.read().json(DIGITS.toString());
    io.sparknorm.spark.NormalizeSpec spec = new io.sparknorm.spark.NormalizeSpec(io.sparknorm.core.NormMethod.BATCH)
        .shape(io.sparknorm.core.Shape.of(64));
    Report library = io.sparknorm.spark.StatisticsReport.of(digits, spec);
    io.sparknorm.core.BatchStatistics fitted = io.sparknorm.spark.TensorNormalization.fitStatistics(digits,
        new io.sparknorm.spark.NormalizeSpec(io.sparknorm.core.NormMethod.BATCH).shape(io.sparknorm.core.Shape.of(64)));
    assertEquals(64, library.channels().size());
    assertEquals(1797, library.rowsIn());
    Set<Integer> constant = new TreeSet<>();
    for (ChannelReport channel : library.channels()) {
      assertEquals(fitted.mean()[channel.index()], channel.mean(), 0.0);
      assertEquals(fitted.variance()[channel.index()], channel.var(), 0.0);
      if (channel.has(Flag.CONSTANT)) {
        constant.add(channel.index());
      }
    }
    assertEquals(alwaysZero(pixels()), constant);

    io.sparknorm.ml.TensorBatchNormModel model = new io.sparknorm.ml.TensorBatchNorm().setInputCol("features")
        .setOutputCol("normalized").setShape("64").fit(digits);
    Path page = dir.resolve("model-report.html");
    model.writeReport(digits, page.toString());
    ReportPage written = new ReportPage(Files.readString(page));
    assertEquals(64, written.rows.size());
    for (ReportPage.Row row : written.rows) {
      assertEquals(model.mean()[row.channel()], Double.parseDouble(row.attr("data-mean")), 0.0);
      assertEquals(2, row.svgs().size());
    }

    // Per sample: the output is sketched as normalized (layer norm over each digit: mean 0, variance about 1).
    Report layer = io.sparknorm.spark.StatisticsReport.of(digits,
        new io.sparknorm.spark.NormalizeSpec(io.sparknorm.core.NormMethod.LAYER).shape(io.sparknorm.core.Shape.of(1, 8, 8)));
    assertEquals(1, layer.channels().size());
    ChannelReport pixelsChannel = layer.channels().get(0);
    assertEquals(1797 * 64, pixelsChannel.count());
    ChannelHistogram output = pixelsChannel.output();
    assertTrue(output.lo() < -0.5 && output.hi() > 1, output.toString());
    assertEquals(1797 * 64, output.total(), 0.0);
    // (1, 8, 8): each pixel's mean and std over the digits, from the same Spark job: the (64,) fit's, bit for bit.
    assertEquals(List.of(1, 8, 8), layer.dims());
    assertTrue(java.util.Arrays.equals(fitted.mean(), layer.elements().mean()), "element means");
    assertTrue(java.util.Arrays.equals(fitted.std(), layer.elements().std()), "element stds");
    Path layerPage = dir.resolve("layer.html");
    io.sparknorm.report.HtmlReport.write(layer, layerPage);
    Files.createDirectories(SCREENSHOTS);
    Chromium.Result opened = Chromium.get().open(layerPage, null, SCREENSHOTS.resolve("library-layer-1x8x8.png"));
    assertEquals(List.of(), opened.console(), opened.consoleText());
    String mean = opened.dom().replaceFirst("(?s).*<figure class=\"picture\" data-picture=\"mean-c0\">(.*?)"
        + "</figure>.*", "$1");
    assertEquals(64, ReportPage.count(mean, "<rect class=\"px\""));
    assertTrue(mean.contains("<title>#0 c0 mean at [3, 4]: " + shortened(fitted.mean()[3 * 8 + 4]) + "</title>"), mean);
  }

  /**
   * The library's report against a reference profile (the digits' own, sketched here without Spark), over the digits
   * with the first row of pixels (channels 0-7) brightened by 8: those channels and no other carry a shift flag, and
   * the page shows the summary, the overlays and the shift map.
   */
  @Test
  void theLibraryComparesWithAReferenceProfile() throws IOException {
    io.sparknorm.core.ChannelSketches sketches = new io.sparknorm.core.ChannelSketches(io.sparknorm.core.Shape.of(64));
    for (int[] p : pixels()) {
      sketches.update(java.util.Arrays.stream(p).asDoubleStream().toArray());
    }
    io.sparknorm.core.ProfileSet reference = io.sparknorm.core.ProfileSet.of(
        io.sparknorm.core.StatisticsProfile.of(sketches, null));
    org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> moved = spark.read().json(DIGITS.toString())
        .withColumn("features", org.apache.spark.sql.functions.expr(
            "transform(features, (x, i) -> IF(i < 8, x + 8, x))"));
    Report report = io.sparknorm.spark.StatisticsReport.of(moved, new io.sparknorm.spark.NormalizeSpec(
        io.sparknorm.core.NormMethod.BATCH).shape(io.sparknorm.core.Shape.of(64)), reference);
    assertTrue(report.hasShift());
    Set<Integer> shifted = new TreeSet<>();
    for (ChannelReport c : report.channels()) {
      if (c.shifted()) {
        shifted.add(c.index());
      }
      if (c.index() >= 8) {
        // The same values sketched twice (in another order): KS within the sketches' error of the exact 0.
        assertTrue(c.shift().ks() <= c.shift().ksError(), "channel " + c.index() + ": " + c.shift());
      }
    }
    assertEquals(new TreeSet<>(List.of(0, 1, 2, 3, 4, 5, 6, 7)), shifted);
    Path page = dir.resolve("shift.html");
    io.sparknorm.report.HtmlReport.write(report, page);
    Files.createDirectories(SCREENSHOTS);
    Chromium.Result opened = Chromium.get().open(page, "shifted", SCREENSHOTS.resolve("digits-shift.png"));
    assertEquals(List.of(), opened.console(), opened.consoleText());
    ReportPage dom = new ReportPage(opened.dom());
    assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7), dom.visibleChannels());
    assertEquals("8", dom.summary.get("shift-flagged")[0]);
    // The reference over every histogram but those of the pixels blank then and now (one bar, nothing to overlay).
    long blank = alwaysZero(pixels()).stream().filter(c -> c >= 8).count();
    assertTrue(blank >= 1);
    assertEquals(64 - blank, ReportPage.count(opened.dom(), "<path class=\"ref\""));
    assertEquals(8, ReportPage.count(opened.dom(), "<rect class=\"mark\""));
  }

  /**
   * What the job does for (C, H, W) pages: observe the element statistics' column beside its sketches on a pass it
   * runs anyway, read them back, and give them to the report; for other shapes the column observes nothing.
   */
  @Test
  void elementStatisticsAreObservedOnAPass() throws IOException {
    org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> digits = spark.read().json(DIGITS.toString());
    io.sparknorm.core.BatchStatistics fitted = io.sparknorm.spark.TensorNormalization.fitStatistics(digits,
        new io.sparknorm.spark.NormalizeSpec(io.sparknorm.core.NormMethod.BATCH).shape(io.sparknorm.core.Shape.of(64)));
    for (io.sparknorm.core.Shape shape : List.of(io.sparknorm.core.Shape.of(1, 8, 8), io.sparknorm.core.Shape.of(64))) {
      io.sparknorm.spark.NormalizeSpec spec = new io.sparknorm.spark.NormalizeSpec(
          io.sparknorm.core.NormMethod.INSTANCE).shape(shape);
      org.apache.spark.sql.Observation observation = new org.apache.spark.sql.Observation("elements-" + shape.rank());
      assertEquals(1797, digits.observe(observation,
          io.sparknorm.spark.StatisticsReport.elementStatisticsColumn(digits, spec, shape).as("elements")).count());
      io.sparknorm.core.BatchStatistics elements;
      try {
        elements = io.sparknorm.spark.StatisticsReport.elementStatisticsOf(
            observation.getAsJava().get("elements"), shape, spec);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
      if (shape.rank() == 3) {
        assertTrue(java.util.Arrays.equals(fitted.mean(), elements.mean()), "element means");
        assertTrue(java.util.Arrays.equals(fitted.variance(), elements.variance()), "element variances");
      } else {
        assertEquals(null, elements, "no pictures of elements for " + shape);
      }
    }
  }

  /** Four significant digits, as the page shows them. */
  private static String shortened(double v) {
    String s = String.format(java.util.Locale.ROOT, "%.4g", v);
    return s.contains(".") ? s.replaceFirst("0+$", "").replaceFirst("\\.$", "") : s;
  }

  /** Runs the job in-process; asserts exit 0 and returns what it printed on the out stream. */
  static String run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = NormalizeJob.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(0, exit, err.toString(StandardCharsets.UTF_8));
    return out.toString(StandardCharsets.UTF_8);
  }

  /** The digits' 64 pixels, row by row. */
  private static int[][] pixels() throws IOException {
    List<int[]> rows = new ArrayList<>();
    for (String line : Files.readAllLines(DIGITS)) {
      JsonNode features = JSON.readTree(line).get("features");
      int[] row = new int[64];
      for (int i = 0; i < 64; i++) {
        row[i] = features.get(i).asInt();
      }
      rows.add(row);
    }
    return rows.toArray(new int[0][]);
  }

  private static Set<Integer> alwaysZero(int[][] pixels) {
    Set<Integer> zero = new TreeSet<>();
    for (int c = 0; c < 64; c++) {
      final int channel = c;
      if (java.util.Arrays.stream(pixels).allMatch(p -> p[channel] == 0)) {
        zero.add(c);
      }
    }
    return zero;
  }

  /**
   * Pixels that are plainly two bumps: blank (0) in at least a fifth of the digits, deeply inked (12
   * to 16) in at least 30%, and those two together at least 60% (a spike at 0, a bump of ink).
   */
  private static Set<Integer> blankOrInked(int[][] pixels) {
    Set<Integer> both = new TreeSet<>();
    for (int c = 0; c < 64; c++) {
      int blank = 0;
      int inked = 0;
      for (int[] p : pixels) {
        blank += p[c] == 0 ? 1 : 0;
        inked += p[c] >= 12 ? 1 : 0;
      }
      double n = pixels.length;
      if (blank / n >= 0.2 && inked / n >= 0.3 && (blank + inked) / n >= 0.6) {
        both.add(c);
      }
    }
    return both;
  }
}
