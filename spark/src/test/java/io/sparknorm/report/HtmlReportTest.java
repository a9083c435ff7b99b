package io.sparknorm.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.report.SyntheticReports.Kind;
import io.sparknorm.testing.Chromium;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The HTML report: its markup against the model, then the page in headless Chromium (apt-get install -y chromium). */
class HtmlReportTest {
  static final Path SHOTS = Path.of("target", "report-screenshots");
  static Report r64;
  static String html64;

  @BeforeAll
  static void render() throws Exception {
    r64 = SyntheticReports.report(64, 400);
    html64 = HtmlReport.render(r64);
    Files.createDirectories(SHOTS);
  }

  @Test
  void rowsAndDataAttributesAreTheModelsNumbers() throws Exception {
    ReportPage page = new ReportPage(html64);
    assertEquals(64, page.rows.size());
    assertEquals(64, ReportPage.count(html64, "<svg class=\"hist input\""));
    assertEquals(64, ReportPage.count(html64, "<svg class=\"hist output\""));
    for (int i = 0; i < 64; i++) {
      ChannelReport c = r64.channels().get(i);
      ReportPage.Row row = page.rows.get(i);
      assertEquals(i, row.channel());
      assertEquals(c.label(), row.attr("data-label"));
      assertEquals(Long.toString(c.count()), row.attr("data-count"));
      double[] values = {c.mean(), c.std(), c.var(), c.min(), c.max(), c.q01(), c.q50(), c.q99()};
      assertEquals(List.of(HtmlReport.STATS), List.copyOf(HtmlReport.values(c).keySet()));
      for (int s = 0; s < values.length; s++) {
        String name = HtmlReport.STATS[s];
        assertEquals(Double.toString(values[s]), row.attr("data-" + name), name + " of channel " + i);
        assertEquals(Numbers.short4(values[s]), row.cells().get(name), name + " cell of channel " + i);
        assertEquals(Double.toString(values[s]), row.titles().get(name), name + " title of channel " + i);
        assertEquals(values[s], Double.parseDouble(row.attr("data-" + name)), 0.0);
      }
      assertEquals(String.join(" ", c.flags().stream().map(Flag::id).toList()), row.attr("data-flags"));
      assertEquals(List.of("hist input", "hist output"), row.svgs().stream().map(ReportPage.Svg::cls).toList());
      assertEquals("24", row.svgs().get(0).attrs().get("data-bins"));
      assertEquals(Double.toString(c.input().total()), row.svgs().get(0).attrs().get("data-total"));
      assertEquals(Double.toString(c.output().lo()), row.svgs().get(1).attrs().get("data-lo"));
      assertEquals(c.flags().size(), ReportPage.count(row.cells().get("flags"), "<div class=\"flag\""));
    }
    assertEquals("1,797", new ReportPage(HtmlReport.render(new Report("batch", "(1, 8, 8)", null, null, null, null,
        1797, 1797, 0, 0, 1.0, "exact-sums", 1e-5, null, List.of()))).summary.get("rows-in")[1]);
    assertEquals("403", page.summary.get("rows-in")[0]);
    assertEquals("1.0E-5", page.summary.get("eps")[0]);
    assertEquals("1e-5", page.summary.get("eps")[1]);
    assertEquals("2026-11-26T23:30:00Z", page.summary.get("generated-at")[1]);
    assertEquals("exact-sums", page.summary.get("algorithm")[1]);
    assertEquals("9.88 s", page.summary.get("seconds")[1]);
    for (String id : Flag.knownIds()) {
      long n = r64.channels().stream().filter(c -> c.has(id)).count();
      assertTrue(html64.contains("<li data-flag=\"" + id + "\" data-count=\"" + n + "\">"), id);
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    HtmlReport.write(r64, bytes);
    assertEquals(html64, bytes.toString(StandardCharsets.UTF_8));
  }

  @Test
  void numbersShowFourSignificantDigitsWithTheFullValueOnHover() {
    assertEquals("0.1235", Numbers.short4(0.123456789));
    assertEquals("5.205", Numbers.short4(5.204785754034502));
    assertEquals("22.6", Numbers.short4(22.595792344193267));
    assertEquals("16", Numbers.short4(16.0));
    assertEquals("0", Numbers.short4(-0.0));
    assertEquals("-0.0001235", Numbers.short4(-0.000123456));
    assertEquals("1.235e6", Numbers.short4(1234567.5));
    assertEquals("1e-5", Numbers.short4(1e-5));
    assertEquals("-3.142e-7", Numbers.short4(-3.14159e-7));
    assertEquals("12345", Numbers.short4(12345.0));
    assertEquals("NaN", Numbers.short4(Double.NaN));
    assertEquals("-\u221e", Numbers.short4(Double.NEGATIVE_INFINITY));
    ChannelReport c = new ChannelReport(0, "px", 10, 0.123456789, 987654.321, Math.sqrt(987654.321), -2.5, 1e-7,
        0.000123456789, 1.0 / 3, 2.0 / 3, ChannelHistogram.uniform(0, 1, new double[2]),
        ChannelHistogram.uniform(0, 1, new double[2]), null);
    String html = HtmlReport.render(new Report("batch", "(1)", null, null, null, null, 10, 10, 0, 0, 1, null, 1e-5,
        null, List.of(c)));
    assertTrue(html.contains("<div data-col=\"mean\" title=\"0.123456789\">0.1235</div>"), html);
    assertTrue(html.contains("<div data-col=\"var\" title=\"987654.321\">9.877e5</div>"));
    assertTrue(html.contains("<div data-col=\"std\" title=\"" + Math.sqrt(987654.321) + "\">993.8</div>"));
    assertTrue(html.contains("<div data-col=\"max\" title=\"1.0E-7\">1e-7</div>"));
    assertTrue(html.contains("<div data-col=\"q01\" title=\"1.23456789E-4\">0.0001235</div>"));
    assertTrue(html.contains("<div data-col=\"q50\" title=\"0.3333333333333333\">0.3333</div>"));
    assertFalse(html.contains(">0.3333333333333333<"), "no 16-digit number is shown as text");
    // No cell of the 64-channel page shows more than 4 significant digits.
    for (ReportPage.Row row : new ReportPage(html64).rows) {
      for (String name : HtmlReport.STATS) {
        String digits = row.cells().get(name).replaceFirst("e-?\\d+$", "").replaceAll("[^0-9]", "")
            .replaceFirst("^0+", "");
        assertTrue(digits.length() <= 4 || row.cells().get(name).matches("-?\\d+"), row.cells().get(name));
      }
    }
  }

  @Test
  void legendExplainsEachFlagOnceAndRowsOnlyOnHover() {
    for (String id : Flag.knownIds()) {
      assertEquals(1, ReportPage.count(html64, HtmlReport.escape(Flag.meaning(id))), id);
    }
    for (String id : Flag.shiftIds()) {
      assertEquals(0, ReportPage.count(html64, HtmlReport.escape(Flag.meaning(id))), "no comparison: no " + id);
    }
    ReportPage page = new ReportPage(html64);
    // Channel 3 has many zeros: its row shows the badge, its own sentence is the badge's hover title.
    String flags = page.rows.get(3).cells().get("flags");
    assertEquals("<div class=\"flag\" data-flag=\"zeros\" title=\"80% of the values are 0\"><span class=\"badge "
        + "b-zeros\">many zeros</span></div>", flags);
    long zeros = r64.channels().stream().filter(c -> c.has(Flag.ZEROS)).count();
    assertEquals(zeros, ReportPage.count(html64, ">many zeros</span></div>"));
  }

  @Test
  void userTextIsEscaped() {
    String label = SyntheticReports.ODD_LABEL;
    assertFalse(html64.contains(label));
    assertFalse(html64.contains("<in>"));
    assertFalse(html64.contains("<script>console.error"));
    assertEquals(1, ReportPage.count(html64, "<script>"), "only the page's own script");
    assertTrue(html64.contains(">" + HtmlReport.escape(label) + "</td>"));
    assertTrue(html64.contains("data-label=\"px&lt;5&gt; &amp; &quot;five&quot; &#39;q&#39; &lt;/script&gt;"));
    assertTrue(html64.contains("<dd>/data/a&amp;b/&lt;in&gt; &quot;x&quot; &#39;y&#39;.jsonl</dd>"));
    ReportPage page = new ReportPage(html64);
    assertEquals(label, page.rows.get(5).attr("data-label"));
    assertEquals(SyntheticReports.ODD_PATH, page.summary.get("input")[1]);
  }

  @Test
  void pageIsSelfContainedAndForbidsTheNetwork() {
    assertTrue(html64.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src &#39;none&#39;; "
        + "style-src &#39;unsafe-inline&#39;; script-src &#39;unsafe-inline&#39;; img-src data:\">"));
    for (String banned : List.of("http:", "https:", "src=", "href=", "url(", "@import", "<link", "<img", "<iframe",
        "@font-face", "fetch(", "XMLHttpRequest")) {
      assertFalse(html64.contains(banned), banned);
    }
  }

  @Test
  void constantChannelHistogramIsOneBar() {
    ChannelReport constant = r64.channels().get(2);
    assertEquals(Kind.CONSTANT, SyntheticReports.kind(2));
    assertEquals(constant.input().lo(), constant.input().hi(), 0.0);
    ReportPage.Svg input = new ReportPage(html64).rows.get(2).svgs().get(0);
    assertEquals("3.0", input.attrs().get("data-lo"));
    assertEquals("3.0", input.attrs().get("data-hi"));
    assertTrue(input.body().contains("<path class=\"bars\" d=\"M72 30V1h6V30Z\"/>"), input.body());
    assertTrue(input.body().contains(">all 3</text>"), input.body());
    String empty = HtmlReport.render(new Report("batch", "(1)", null, null, null, null, 0, 0, 0, 0, 0, null, 1e-5,
        null, List.of(new ChannelReport(0, null, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
            Double.NaN, Double.NaN, Double.NaN, ChannelHistogram.uniform(0, 0, new double[4]),
            ChannelHistogram.uniform(0, 0, new double[4]), null))));
    assertTrue(empty.contains(">no values</text>"));
    assertTrue(empty.contains("data-mean=\"NaN\""));
  }

  @Test
  void pageLoadsInChromiumWithOneHistogramPairPerChannel() throws Exception {
    Chromium.Result result = open(html64, "report-64", null);
    ReportPage dom = new ReportPage(result.dom());
    assertEquals(64, dom.rows.size());
    assertEquals(64, dom.visible().size());
    for (ReportPage.Row row : dom.rows) {
      assertEquals(List.of("hist input", "hist output"), row.svgs().stream().map(ReportPage.Svg::cls).toList());
      ChannelReport c = r64.channels().get(row.channel());
      assertEquals(Double.toString(c.mean()), row.attr("data-mean"));
      assertEquals(Double.toString(c.q99()), row.titles().get("q99"));
      assertEquals(Numbers.short4(c.q99()), row.cells().get("q99"));
    }
    assertEquals(SyntheticReports.ODD_LABEL, ReportPage.unescape(dom.rows.get(5).cells().get("label")));
    assertTrue(result.dom().contains("<span id=\"shown-count\">64 of 64 channels shown</span>"));
    assertTrue(result.dom().contains("data-ready=\"true\""));
  }

  @Test
  void oneChannelImageShapeLoads() throws Exception {
    double[] values = SyntheticReports.sample(Kind.BIMODAL_ZEROS, 64 * 30, new java.util.Random(7));
    ChannelReport only = SyntheticReports.channel(0, Kind.NORMAL, values);
    Report report = new Report("batch", "(1, 8, 8)", "features", "data/digits.jsonl", null, null, 30, 30, 0, 0, 1.5,
        "exact-sums", 1e-5, null, List.of(only));
    Chromium.Result result = open(HtmlReport.render(report), "report-1x8x8", "sort=-mean&q=c0");
    ReportPage page = new ReportPage(result.dom());
    assertEquals(List.of(0), page.visibleChannels());
    assertEquals(2, page.rows.get(0).svgs().size());
    assertEquals("(1, 8, 8)", page.summary.get("shape")[1]);
    assertTrue(result.dom().contains("1 of 1 channels shown"));
  }

  @Test
  void urlFragmentSetsFilterAndSort() throws Exception {
    assertEquals(flagged(r64), new ReportPage(open(html64, null, "flagged").dom()).visibleChannels());
    assertEquals(withFlag(r64, Flag.CONSTANT),
        new ReportPage(open(html64, "report-64-constant", "flag=constant").dom()).visibleChannels());
    Chromium.Result sorted = open(html64, null, "flag=multimodal,zeros&sort=-std");
    ReportPage page = new ReportPage(sorted.dom());
    List<Integer> expected = r64.channels().stream().filter(c -> c.has(Flag.MULTIMODAL) || c.has(Flag.ZEROS))
        .sorted(Comparator.comparingDouble(ChannelReport::std).reversed()).map(ChannelReport::index).toList();
    assertEquals(expected, page.visibleChannels());
    assertEquals(64, page.rows.size());
    assertTrue(sorted.dom().contains("<span data-sort=\"std\" aria-sort=\"descending\">std</span>"));
    assertEquals(List.of(1, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19),
        new ReportPage(open(html64, null, "q=C1").dom()).visibleChannels());
  }

  @Test
  void controlsFilterSortAndWriteTheFragment() throws Exception {
    String script = "<script>(function () {\n"
        + "var f = document.getElementById('filter'); f.value = 'c2'; f.dispatchEvent(new Event('input'));\n"
        + "var b = document.querySelector('input.flag-filter[value=multimodal]'); b.click();\n"
        + "var th = document.querySelector('[data-sort=mean]'); th.click(); th.click();\n"
        + "document.body.dataset.hash = location.hash;\n}());</script>\n</body>";
    Chromium.Result result = open(html64.replace("</body>", script), "report-64-controls", null);
    // c22 (bimodal with zeros, mean near 6) and c25 (bimodal, mean near 8), by mean descending
    assertEquals(List.of(25, 22), new ReportPage(result.dom()).visibleChannels());
    assertTrue(result.dom().contains("data-hash=\"#flag=multimodal&amp;q=c2&amp;sort=-mean\""), result.dom());
    assertTrue(result.dom().contains("2 of 64 channels shown"));
  }

  @Test
  void thousandChannelsLoadQuickly() throws Exception {
    Report big = SyntheticReports.report(1000, 200);
    String html = HtmlReport.render(big);
    System.out.printf("1,000-channel page: %,d bytes%n", html.length());
    assertTrue(html.length() < 4_000_000, "page size " + html.length());
    Chromium.Result all = open(html, "report-1000", null);
    System.out.println("1,000-channel page loaded in " + all.elapsed().toMillis() + " ms");
    assertTrue(all.elapsed().compareTo(Duration.ofSeconds(30)) < 0, "took " + all.elapsed());
    ReportPage page = new ReportPage(all.dom());
    assertEquals(1000, page.visible().size());
    assertEquals(2000, page.rows.stream().mapToInt(r -> r.svgs().size()).sum());
    ReportPage flagged = new ReportPage(open(html, "report-1000-flagged", "flagged&sort=-std").dom());
    assertEquals(flagged(big).size(), flagged.visible().size());
    assertEquals(IntStream.range(0, 1000).filter(i -> SyntheticReports.kind(i) == Kind.OUTLIERS).boxed().count(),
        withFlag(big, Flag.OUTLIERS).size());
  }

  @Test
  void contentSecurityPolicyBlocksNetworkLoads() throws Exception {
    String leaky = html64.replace("</body>", "<img src=\"http://127.0.0.1:9/x.png\">"
        + "<script src=\"https://example.invalid/x.js\"></script></body>");
    Chromium.Result result = load(leaky, null, null);
    List<Chromium.ConsoleMessage> blocked = result.errors().stream()
        .filter(m -> m.text().contains("violates the following Content Security Policy directive")).toList();
    assertEquals(2, blocked.size(), result.consoleText());
  }

  /** Opens the page (a screenshot when named) and checks it loaded with an empty console. */
  private static Chromium.Result open(String html, String shot, String fragment) throws Exception {
    Chromium.Result result = load(html, shot, fragment);
    assertTrue(result.console().isEmpty(), "console:\n" + result.consoleText());
    return result;
  }

  private static Chromium.Result load(String html, String shot, String fragment) throws Exception {
    Path file = Files.createTempFile("sparknorm-report-", ".html");
    try {
      Files.writeString(file, html, StandardCharsets.UTF_8);
      Path png = shot == null ? null : SHOTS.resolve(shot + ".png");
      Chromium.Result result = Chromium.get().open(file, fragment, png);
      assertEquals(0, result.exitCode(), result.stderr());
      if (png != null) {
        assertTrue(Files.size(png) > 10_000, png + " is " + Files.size(png) + " bytes");
      }
      return result;
    } finally {
      Files.deleteIfExists(file);
    }
  }

  private static List<Integer> flagged(Report r) {
    return r.channels().stream().filter(c -> !c.flags().isEmpty()).map(ChannelReport::index).toList();
  }

  private static List<Integer> withFlag(Report r, String id) {
    return r.channels().stream().filter(c -> c.has(id)).map(ChannelReport::index).toList();
  }
}
