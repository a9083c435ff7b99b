package io.sparknorm.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The pictures of image-shaped data: channels as pixels of a square picture, or (C, H, W) per-element pictures. */
class ReportPicturesTest {
  private static final Pattern FIGURE = Pattern.compile("<figure class=\"picture\" data-picture=\"([\\w-]+)\">(.*?)"
      + "</figure>", Pattern.DOTALL);

  @Test
  void sixtyFourChannelsMakeAnEightByEightPicture() {
    Report square = withDims(SyntheticReports.report(64, 200), List.of(64));
    String html = HtmlReport.render(square);
    assertEquals(1, ReportPage.count(html, "<section id=\"pictures\">"));
    assertEquals(List.of("mean", "std", "flags"), figures(html));
    assertEquals(64, ReportPage.count(figure(html, "mean"), "<rect class=\"px\""));
    assertEquals(64, ReportPage.count(figure(html, "std"), "<rect class=\"px\""));
    assertEquals(64, ReportPage.count(figure(html, "flags"), "<rect class=\"px\""));
    // Pixel 9 (row 1, column 1 of 8, cells of 25 px): its channel, its figure, a link to its row.
    ChannelReport c9 = square.channels().get(9);
    assertTrue(figure(html, "mean").contains("<rect class=\"px\" data-goto=\"9\" x=\"25\" y=\"25\" width=\"25\" "
        + "height=\"25\" fill=\"" + Pictures.color(new String[] {"#440154", "#3b528b", "#21918c", "#5ec962",
        "#fde725"}, scaled(square, c9.mean())) + "\"><title>#9 c9: mean " + Numbers.short4(c9.mean())
        + "</title></rect>"), figure(html, "mean"));
    // Channel 2 is constant (kind 2), channel 3 has many zeros: the flag map says so; channel 0 has no flag.
    assertTrue(figure(html, "flags").contains("fill=\"#57606a\"><title>#2 c2: constant</title>"));
    assertTrue(figure(html, "flags").contains("fill=\"#1a7f83\"><title>#3 c3: many zeros</title>"));
    assertTrue(figure(html, "flags").contains("fill=\"#eaeef2\"><title>#0 c0: no flag</title>"));
    assertFalse(html.contains("data-picture=\"shift\""), "no comparison, no shift map");
  }

  @Test
  void noPicturesWhereTheChannelsMakeNone() {
    assertFalse(HtmlReport.render(withDims(SyntheticReports.report(10, 50), List.of(10))).contains("id=\"pictures\""));
    assertFalse(HtmlReport.render(withDims(SyntheticReports.report(9, 50), List.of(9))).contains("id=\"pictures\""));
    assertFalse(HtmlReport.render(SyntheticReports.report(64, 50)).contains("id=\"pictures\""), "no dims");
    // (C, H, W) without per-element statistics: nothing to draw.
    assertFalse(HtmlReport.render(withDims(SyntheticReports.report(2, 50), List.of(2, 4, 4))).contains(
        "id=\"pictures\""));
  }

  @Test
  void imageShapedSamplesGetEachChannelsMeanAndStdPictures() {
    double[] mean = new double[2 * 3 * 4];
    double[] std = new double[mean.length];
    for (int i = 0; i < mean.length; i++) {
      mean[i] = i * 0.5;
      std[i] = 1 + i % 4;
    }
    Report base = SyntheticReports.report(2, 50);
    Report r = new Report(base.method(), "(2, 3, 4)", base.column(), base.input(), base.output(), null, 50, 50, 0,
        0, 1, null, 1e-5, null, base.channels(), List.of(2, 3, 4), new ElementImages(mean, std));
    String html = HtmlReport.render(r);
    assertEquals(List.of("mean-c0", "std-c0", "mean-c1", "std-c1"), figures(html));
    for (String f : figures(html)) {
      assertEquals(12, ReportPage.count(figure(html, f), "<rect class=\"px\""), f);
    }
    // Channel 1's element at row 2, column 3 is element 12 + 2 * 4 + 3 = 23: mean 11.5, std 4.
    assertTrue(figure(html, "mean-c1").contains("<title>#1 c1 mean at [2, 3]: 11.5</title>"), figure(html, "mean-c1"));
    assertTrue(figure(html, "std-c1").contains("<title>#1 c1 std at [2, 3]: 4</title>"));
    assertTrue(figure(html, "mean-c1").contains("data-goto=\"1\""));
  }

  @Test
  void largePicturesAreDrawnInBlocks() {
    int side = 130;
    double[] mean = new double[side * side];
    for (int i = 0; i < mean.length; i++) {
      mean[i] = i / side; // the row
    }
    Report base = SyntheticReports.report(1, 50);
    Report r = new Report("batch", "(1, 130, 130)", null, null, null, null, 50, 50, 0, 0, 1, null, 1e-5, null,
        base.channels(), List.of(1, side, side), new ElementImages(mean, mean));
    String html = HtmlReport.render(r);
    // 130 / 64 needs blocks of 3: 44 x 44 cells, each the average of its elements (row 0's block: rows 0-2, mean 1).
    assertEquals(44 * 44, ReportPage.count(figure(html, "mean-c0"), "<rect class=\"px\""));
    assertTrue(figure(html, "mean-c0").contains("<title>#0 c0 mean at [0, 0] (average of a 3 \u00d7 3 block): 1"
        + "</title>"), figure(html, "mean-c0").substring(0, 600));
  }

  static Report withDims(Report r, List<Integer> dims) {
    return new Report(r.method(), r.shape(), r.column(), r.input(), r.output(), r.statsFile(), r.rowsIn(), r.rowsOut(),
        r.rowsSkipped(), r.invalidKept(), r.seconds(), r.algorithm(), r.eps(), r.generatedAt(), r.channels(), dims,
        null);
  }

  static List<String> figures(String html) {
    Matcher m = FIGURE.matcher(html);
    List<String> ids = new java.util.ArrayList<>();
    while (m.find()) {
      ids.add(m.group(1));
    }
    return ids;
  }

  static String figure(String html, String id) {
    Matcher m = FIGURE.matcher(html);
    while (m.find()) {
      if (m.group(1).equals(id)) {
        return m.group(2);
      }
    }
    throw new AssertionError("no figure " + id);
  }

  private static double scaled(Report r, double v) {
    double lo = r.channels().stream().mapToDouble(ChannelReport::mean).min().orElseThrow();
    double hi = r.channels().stream().mapToDouble(ChannelReport::mean).max().orElseThrow();
    return (v - lo) / (hi - lo);
  }
}
