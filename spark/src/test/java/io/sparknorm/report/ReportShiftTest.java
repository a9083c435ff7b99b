package io.sparknorm.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.core.ShiftThresholds;
import io.sparknorm.testing.Chromium;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The comparison with a reference profile on the page: summary, overlaid histograms, figures, flags and filter. */
class ReportShiftTest {
  static SyntheticShift shift;
  static String html;

  @BeforeAll
  static void render() throws Exception {
    shift = new SyntheticShift();
    html = HtmlReport.render(ReportPicturesTest.withDims(shift.report, List.of(SyntheticShift.CHANNELS)));
    Files.createDirectories(HtmlReportTest.SHOTS);
  }

  @Test
  void summaryCountsTheFlagsAndLinksTheWorstChannel() {
    ReportPage page = new ReportPage(html);
    assertEquals("16", page.summary.get("shift-channels")[0]);
    assertEquals("3", page.summary.get("shift-flagged")[0]);
    assertEquals("2", page.summary.get("shift-shifted")[0]);
    assertEquals("1", page.summary.get("shift-mode-lost")[0]);
    assertEquals("0", page.summary.get("shift-mode-new")[0]);
    assertEquals("1", page.summary.get("shift-out-of-range")[0]);
    assertEquals(SyntheticShift.MOVED, shift.worst(), "the 2-sd move has the largest KS");
    assertTrue(html.contains("<div class=\"item\" data-key=\"shift-worst\" data-value=\"3\"><dt>worst channel</dt><dd>"
        + "<a class=\"goto\" data-goto=\"3\" tabindex=\"0\">#3 c3</a>"), html);
    for (String id : Flag.shiftIds()) {
      assertEquals(1, ReportPage.count(html, HtmlReport.escape(Flag.meaning(id))), id + " explained once");
    }
    // The legend's bounds are the core's.
    assertTrue(Flag.meaning(Flag.SHIFTED).contains("mean by " + ShiftThresholds.MEAN_SHIFT_SD + " reference std"));
    assertTrue(Flag.meaning(Flag.SHIFTED).contains("ratio beyond " + ShiftThresholds.VAR_RATIO + " either way"));
    assertTrue(Flag.meaning(Flag.SHIFTED).contains("PSI over the reference's deciles to " + ShiftThresholds.PSI_MAJOR
        + " or more (" + ShiftThresholds.PSI_MODERATE + " is the usual moderate"));
    assertTrue(Flag.meaning(Flag.SHIFTED).contains("distance to " + ShiftThresholds.KS + " plus the sketches' error"));
    assertTrue(Flag.meaning(Flag.MODE_LOST).contains("less than " + ShiftThresholds.MODE_KEPT + " of the share"));
    assertTrue(Flag.meaning(Flag.MODE_NEW).contains("less than " + ShiftThresholds.MODE_KEPT + " of its share"));
    assertTrue(Flag.meaning(Flag.OUT_OF_RANGE).startsWith(ShiftThresholds.OUT_OF_RANGE + " or more of the values"));
    assertEquals("3 flagged", html.replaceFirst("(?s).*channels, (\\d+ flagged)</p>.*", "$1"));
  }

  @Test
  void rowsCarryTheFiguresAndTheReferenceOverTheInput() {
    ReportPage page = new ReportPage(html);
    assertEquals(16, page.rows.size());
    for (ReportPage.Row row : page.rows) {
      int c = row.channel();
      var s = shift.shifts.get(c);
      assertEquals(Double.toString(s.ks()), row.attr("data-ks"), "channel " + c);
      assertEquals(Double.toString(s.meanShiftSd()), row.attr("data-mean-shift"));
      assertEquals(Numbers.short4(s.meanShiftSd()), row.cells().get("mean-shift"));
      assertEquals(Numbers.short4(s.ks()) + " \u00b1 0.0165", ReportPage.unescape(row.cells().get("ks")));
      String flags = row.attr("data-flags");
      assertEquals(c == 3 ? "shifted" : c == 7 ? "shifted out-of-range" : c == 12 ? "mode-lost" : "",
          flags.replace("many zeros", "").trim(), "channel " + c);
      // The input's histogram spans both ranges, the reference drawn over it on the same bins.
      ReportPage.Svg input = row.svgs().get(0);
      double lo = Math.min(Arrays.stream(shift.reference[c]).min().orElseThrow(),
          Arrays.stream(shift.now[c]).min().orElseThrow());
      double hi = Math.max(Arrays.stream(shift.reference[c]).max().orElseThrow(),
          Arrays.stream(shift.now[c]).max().orElseThrow());
      assertEquals(lo, Double.parseDouble(input.attrs().get("data-lo")), 0.0, "channel " + c);
      assertEquals(hi, Double.parseDouble(input.attrs().get("data-hi")), 0.0, "channel " + c);
      assertEquals(1, ReportPage.count(input.body(), "<path class=\"ref\""), "channel " + c);
      ChannelShiftReport shown = shift.report.channels().get(c).shift();
      assertArrayEquals(shift.report.channels().get(c).input().edges(), shown.reference().edges());
      assertEquals(SyntheticShift.VALUES, shown.reference().total(), 1e-6, "rescaled to the input's count");
    }
    // Channel 3 moved by 2 std: the reference's mass lies in the lower bins, the input's in the upper ones.
    double[] ref = shift.report.channels().get(3).shift().reference().counts();
    double[] now = shift.report.channels().get(3).input().counts();
    assertTrue(centre(ref) + 4 < centre(now), centre(ref) + " vs " + centre(now));
    assertEquals(16, ReportPage.count(ReportPicturesTest.figure(html, "shift"), "<rect class=\"px\""));
    assertEquals(3, ReportPage.count(ReportPicturesTest.figure(html, "shift"), "<rect class=\"mark\""));
  }

  @Test
  void withoutAComparisonThereIsNoneOfIt() {
    String plain = HtmlReport.render(SyntheticReports.report(16, 100));
    for (String absent : List.of("<section id=\"shift-summary\">", "<path class=\"ref\"", "id=\"shifted-only\"",
        "data-ks=", "data-flag=\"shifted\"", "data-picture=\"shift\"", "<li data-flag=\"mode-lost\"")) {
      assertFalse(plain.contains(absent), absent);
      assertTrue(html.contains(absent), absent);
    }
  }

  @Test
  void theShiftedFilterLeavesTheFlaggedRowsAndAPixelGoesToItsRow() throws Exception {
    Path file = Files.createTempFile("sparknorm-shift-", ".html");
    try {
      Files.writeString(file, html.replace("</body>", "<script>(function () {\n"
          + "document.getElementById('shifted-only').click();\n"
          + "document.body.dataset.afterFilter = document.getElementById('channels').dataset.shown + ' '"
          + " + location.hash;\n}());</script>\n</body>"), StandardCharsets.UTF_8);
      Path png = HtmlReportTest.SHOTS.resolve("report-shift-16.png");
      Files.deleteIfExists(png);
      Chromium.Result filtered = Chromium.get().open(file, null, png);
      assertEquals(0, filtered.exitCode(), filtered.stderr());
      assertTrue(filtered.console().isEmpty(), filtered.consoleText());
      assertEquals(SyntheticShift.planted(), new ReportPage(filtered.dom()).visibleChannels());
      assertTrue(filtered.dom().contains("data-after-filter=\"3 #shifted\""), "filter state written to the URL");
      byte[] bytes = Files.readAllBytes(png);
      assertTrue(bytes.length > 10_000, png + " is " + bytes.length + " bytes");
      assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, Arrays.copyOf(bytes, 8));

      // From the URL; then a click on channel 5's pixel (a hidden row) shows every row again and marks channel 5.
      Files.writeString(file, html.replace("</body>", "<script>(function () {\n"
          + "document.body.dataset.before = document.getElementById('channels').dataset.shown;\n"
          + "document.querySelector('figure[data-picture=flags] rect[data-goto=\"5\"]').dispatchEvent("
          + "new MouseEvent('click', {bubbles: true}));\n}());</script>\n</body>"), StandardCharsets.UTF_8);
      Chromium.Result clicked = Chromium.get().open(file, "shifted", null);
      assertTrue(clicked.console().isEmpty(), clicked.consoleText());
      assertTrue(clicked.dom().contains("data-before=\"3\""), "the fragment #shifted filtered first");
      ReportPage page = new ReportPage(clicked.dom());
      assertEquals(16, page.visible().size());
      assertEquals("channel target", page.rows.get(5).attr("class"));
    } finally {
      Files.deleteIfExists(file);
    }
  }

  private static double centre(double[] counts) {
    double sum = 0;
    double weighted = 0;
    for (int i = 0; i < counts.length; i++) {
      sum += counts[i];
      weighted += i * counts[i];
    }
    return weighted / sum;
  }
}
