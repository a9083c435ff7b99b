package io.sparknorm.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a report page back (the HTML as rendered or the DOM Chromium dumped): the channel rows in document order, with
 * their attributes, cells and histograms, and the summary items. Regular expressions over the page's fixed markup.
 */
public final class ReportPage {
  private static final String ATTRS = "((?:[^>\"]|\"[^\"]*\")*)";
  private static final Pattern ROW =
      Pattern.compile("<tr (class=\"channel[^\"]*\"" + ATTRS.substring(1) + ">(.*?)</tr>", Pattern.DOTALL);
  private static final Pattern ATTR = Pattern.compile("([\\w-]+)(?:=\"([^\"]*)\")?");
  private static final Pattern CELL = Pattern.compile("<(td|div) ([^>]*data-col=\"([\\w-]+)\"[^>]*)>(.*?)</\\1>",
      Pattern.DOTALL);
  private static final Pattern SVG = Pattern.compile("<svg " + ATTRS + ">(.*?)</svg>", Pattern.DOTALL);
  private static final Pattern SUMMARY = Pattern.compile("<div class=\"item[^\"]*\" data-key=\"([\\w-]+)\" "
      + "data-value=\"([^\"]*)\"><dt>[^<]*</dt><dd>([^<]*)</dd>");

  public record Svg(Map<String, String> attrs, String body) {
    public String cls() {
      return attrs.get("class");
    }
  }

  /** A channel row: its attributes, its cells' content and their hover titles by {@code data-col}, its histograms. */
  public record Row(Map<String, String> attrs, Map<String, String> cells, Map<String, String> titles, List<Svg> svgs) {
    public int channel() {
      return Integer.parseInt(attrs.get("data-channel"));
    }

    public boolean hidden() {
      return attrs.containsKey("hidden");
    }

    public String attr(String name) {
      return attrs.get(name);
    }
  }

  public final String html;
  public final List<Row> rows = new ArrayList<>();
  public final Map<String, String[]> summary = new LinkedHashMap<>();

  public ReportPage(String html) {
    this.html = html;
    Matcher m = ROW.matcher(html);
    while (m.find()) {
      Map<String, String> cells = new LinkedHashMap<>();
      Map<String, String> titles = new LinkedHashMap<>();
      Matcher c = CELL.matcher(m.group(2));
      while (c.find()) {
        cells.put(c.group(3), c.group(4));
        titles.put(c.group(3), attrs(c.group(2)).get("title"));
      }
      List<Svg> svgs = new ArrayList<>();
      Matcher s = SVG.matcher(m.group(2));
      while (s.find()) {
        svgs.add(new Svg(attrs(s.group(1)), s.group(2)));
      }
      rows.add(new Row(attrs(m.group(1)), cells, titles, svgs));
    }
    Matcher s = SUMMARY.matcher(html);
    while (s.find()) {
      summary.put(s.group(1), new String[] {unescape(s.group(2)), unescape(s.group(3))});
    }
  }

  public List<Row> visible() {
    return rows.stream().filter(r -> !r.hidden()).toList();
  }

  public List<Integer> visibleChannels() {
    return visible().stream().map(Row::channel).toList();
  }

  public static int count(String html, String needle) {
    int n = 0;
    for (int i = html.indexOf(needle); i >= 0; i = html.indexOf(needle, i + needle.length())) {
      n++;
    }
    return n;
  }

  public static Map<String, String> attrs(String text) {
    Map<String, String> attrs = new LinkedHashMap<>();
    Matcher a = ATTR.matcher(text);
    while (a.find()) {
      attrs.put(a.group(1), a.group(2) == null ? "" : unescape(a.group(2)));
    }
    return attrs;
  }

  public static String unescape(String s) {
    return s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'")
        .replace("&amp;", "&");
  }
}
