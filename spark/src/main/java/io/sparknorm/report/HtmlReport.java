package io.sparknorm.report;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders a {@link Report} as one self-contained HTML page: inline CSS, a small inline script (sorting, filtering,
 * going to a channel), histograms and pictures as inline SVG made here, and a Content-Security-Policy that forbids
 * every network load. Numbers show four significant digits; the full value is the element's title (hover).
 *
 * <p>What a test can rely on: {@code <dl id="summary">} with {@code <div data-key="..." data-value="...">} items;
 * with a comparison, {@code <section id="shift-summary">} with items {@code shift-channels}, {@code shift-flagged},
 * {@code shift-ID} per shift flag and {@code shift-worst} (its channel's index); {@code <section id="legend">} with one
 * {@code <li data-flag="ID" data-count="N">} per flag, its meaning (said there only) and its
 * {@code <input class="flag-filter" value="ID">}; for image-shaped data {@code <section id="pictures">} with
 * {@code <figure data-picture="mean|std|flags|shift">} (or {@code mean-cK}, {@code std-cK} per channel K for (C, H, W))
 * of {@code <rect class="px" data-goto="CHANNEL">} pixels, each with its {@code <title>}; {@code #filter} (text),
 * {@code #flagged-only} and, with a comparison, {@code #shifted-only} (checkboxes) and {@code #shown-count};
 * {@code <table id="channels" data-shown="N">}, whose header has one {@code [data-sort=NAME]} control per sortable
 * column ({@code aria-sort} on the active one); one {@code <tr class="channel" data-channel data-label data-flags
 * data-count data-mean data-std data-var data-min data-max data-q01 data-q50 data-q99>} per channel (numbers as
 * {@link Double#toString(double)}, as the statistics file has them; with a comparison also {@code data-mean-shift
 * data-var-ratio data-psi data-ks data-wasserstein data-out-of-range data-severity}), hidden by the filter with the
 * {@code hidden} attribute, holding {@code <div class="flag" data-flag="ID" title="what it says of this channel">}
 * per flag, {@code <svg class="hist input">} (with a comparison, the reference as its {@code <path class="ref">}) and
 * {@code <svg class="hist output">} ({@code data-bins data-lo data-hi data-total}), and the numbers in
 * {@code <div data-col="mean" title="FULL">SHORT</div>} etc. The state can be set by the URL fragment:
 * {@code #flagged}, {@code #shifted}, {@code #flag=multimodal,constant}, {@code #q=text}, {@code #sort=std} or
 * {@code #sort=-std} (descending), joined by '&amp;'; the page writes it back there as the controls change.
 */
public final class HtmlReport {
  /** The page's Content-Security-Policy: no network at all, only its own inline style and script, data: images. */
  static final String CSP =
      "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";
  /** The statistics, as data attributes and cells' {@code data-col}: q01 is the 1% quantile. */
  static final String[] STATS = {"mean", "std", "var", "min", "max", "q01", "q50", "q99"};
  /** How the statistics share the table's last three columns, one value a line. */
  private static final String[][] GROUPS = {{"mean", "std", "var"}, {"min", "max"}, {"q01", "q50", "q99"}};

  private static final String CSS = resource("report.css");
  private static final String JS = resource("report.js");

  private HtmlReport() {}

  public static String render(Report report) {
    StringBuilder out = new StringBuilder(4096 + report.channels().size() * 2400);
    String title = "sparknorm report: " + text(report.method()) + " norm, shape " + text(report.shape()) + ", "
        + report.channels().size() + " channels";
    out.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<meta http-equiv=\"Content-Security-Policy\" content=\"").append(escape(CSP)).append("\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .append("<meta name=\"generator\" content=\"sparknorm\">\n")
        .append("<title>").append(escape(title)).append("</title>\n<style>\n").append(CSS).append("</style>\n")
        .append("</head>\n<body>\n<header>\n<h1>sparknorm report</h1>\n<p class=\"subtitle\">")
        .append(escape(text(report.method()))).append(" norm of shape ").append(escape(text(report.shape())))
        .append(": ").append(grouped(report.channels().size()))
        .append(report.channels().size() == 1 ? " channel, " : " channels, ")
        .append(grouped(report.flaggedChannels()))
        .append(" flagged</p>\n");
    summary(out, report);
    if (report.hasShift()) {
      ShiftColumns.summary(out, report);
    }
    out.append("</header>\n");
    legend(out, report);
    Pictures.append(out, report);
    controls(out, report);
    table(out, report);
    out.append("<script>\n").append(JS).append("</script>\n</body>\n</html>\n");
    return out.toString();
  }

  public static void write(Report report, OutputStream out) throws IOException {
    out.write(render(report).getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  public static void write(Report report, Path file) throws IOException {
    Files.writeString(file, render(report), StandardCharsets.UTF_8);
  }

  private static void summary(StringBuilder out, Report r) {
    Map<String, String[]> items = new LinkedHashMap<>();
    items.put("method", new String[] {"method", text(r.method()), text(r.method())});
    items.put("shape", new String[] {"shape", text(r.shape()), text(r.shape())});
    items.put("channels", new String[] {"channels", grouped(r.channels().size()), "" + r.channels().size()});
    items.put("column", new String[] {"column", text(r.column()), text(r.column())});
    items.put("rows-in", new String[] {"rows in", grouped(r.rowsIn()), Long.toString(r.rowsIn())});
    items.put("rows-out", new String[] {"rows out", grouped(r.rowsOut()), Long.toString(r.rowsOut())});
    items.put("rows-skipped", new String[] {"rows skipped", grouped(r.rowsSkipped()), "" + r.rowsSkipped()});
    items.put("invalid-kept", new String[] {"invalid kept", grouped(r.invalidKept()), "" + r.invalidKept()});
    items.put("seconds", new String[] {"time", String.format(Locale.ROOT, "%.2f s", r.seconds()),
        Double.toString(r.seconds())});
    items.put("algorithm", new String[] {"statistics", text(r.algorithm()), text(r.algorithm())});
    items.put("eps", new String[] {"eps", Numbers.short4(r.eps()), Double.toString(r.eps())});
    items.put("input", new String[] {"input", text(r.input()), text(r.input())});
    items.put("output", new String[] {"output", text(r.output()), text(r.output())});
    items.put("stats-file", new String[] {"statistics file", text(r.statsFile()), text(r.statsFile())});
    items.put("generated-at", new String[] {"generated", text(r.generatedAt()).replaceFirst(
        "^(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d)\\.\\d+Z$", "$1Z"), text(r.generatedAt())});
    out.append("<dl id=\"summary\">\n");
    for (Map.Entry<String, String[]> e : items.entrySet()) {
      String[] v = e.getValue();
      boolean wide = e.getKey().equals("input") || e.getKey().equals("output") || e.getKey().equals("stats-file");
      out.append("<div class=\"item").append(wide ? " path" : "").append("\" data-key=\"").append(e.getKey())
          .append("\" data-value=\"").append(escape(v[2])).append("\"><dt>").append(escape(v[0]))
          .append("</dt><dd>").append(escape(v[1])).append("</dd></div>\n");
    }
    out.append("</dl>\n");
  }

  private static void legend(StringBuilder out, Report r) {
    Map<String, String> meanings = new LinkedHashMap<>();
    for (String id : Flag.knownIds()) {
      meanings.put(id, Flag.meaning(id));
    }
    if (r.hasShift()) {
      for (String id : Flag.shiftIds()) {
        meanings.put(id, Flag.meaning(id));
      }
    }
    for (ChannelReport c : r.channels()) {
      for (Flag f : c.flags()) {
        meanings.putIfAbsent(f.id(), f.explanation());
      }
    }
    out.append("<section id=\"legend\">\n<h2>Flags <span class=\"hint\">check one to show only its channels; "
        + "in the table, hover a badge for what it says of that channel</span></h2>\n<ul>\n");
    for (Map.Entry<String, String> e : meanings.entrySet()) {
      String id = e.getKey();
      long n = r.channels().stream().filter(c -> c.has(id)).count();
      out.append("<li data-flag=\"").append(id).append("\" data-count=\"").append(n).append("\"><label>")
          .append("<input type=\"checkbox\" class=\"flag-filter\" value=\"").append(id).append('"')
          .append(n == 0 ? " disabled" : "").append("> ");
      badge(out, id);
      out.append(" <span class=\"n\">").append(grouped(n)).append(n == 1 ? " channel" : " channels")
          .append("</span></label><span class=\"meaning\">").append(escape(text(e.getValue())))
          .append("</span></li>\n");
    }
    out.append("</ul>\n</section>\n");
  }

  private static void controls(StringBuilder out, Report r) {
    int n = r.channels().size();
    out.append("<div id=\"controls\"><input id=\"filter\" type=\"search\" autocomplete=\"off\" spellcheck=\"false\""
        + " placeholder=\"filter by channel, index or flag\" aria-label=\"filter channels\">")
        .append("<label><input id=\"flagged-only\" type=\"checkbox\"> flagged only</label>")
        .append(r.hasShift() ? "<label><input id=\"shifted-only\" type=\"checkbox\"> shifted only</label>" : "")
        .append("<button id=\"reset\" type=\"button\">reset</button><span id=\"shown-count\">").append(n)
        .append(" of ").append(n).append(" channels shown</span><span class=\"hint\">click a column header to sort"
            + "</span></div>\n");
  }

  private static void table(StringBuilder out, Report r) {
    out.append("<table id=\"channels\" data-shown=\"").append(r.channels().size()).append("\">\n<thead><tr>")
        .append("<th data-sort=\"channel\" class=\"num\">#</th><th data-sort=\"label\">channel</th>")
        .append("<th data-sort=\"flags\">flags</th><th class=\"hist-head input\">input")
        .append(r.hasShift() ? " <span class=\"ref-key\">(line: reference)</span>" : "").append("</th>")
        .append("<th class=\"hist-head output\">normalized output</th>");
    for (String[] group : GROUPS) {
      out.append("<th class=\"num stats\">");
      for (String name : group) {
        out.append("<span data-sort=\"").append(name).append("\">").append(header(name)).append("</span>");
      }
      out.append("</th>");
    }
    if (r.hasShift()) {
      ShiftColumns.headers(out);
    }
    out.append("</tr></thead>\n<tbody>\n");
    for (ChannelReport c : r.channels()) {
      row(out, c, r.hasShift());
    }
    out.append("</tbody>\n</table>\n");
  }

  private static void row(StringBuilder out, ChannelReport c, boolean shiftColumns) {
    List<String> ids = new ArrayList<>();
    c.flags().forEach(f -> ids.add(f.id()));
    Map<String, Double> values = values(c);
    out.append("<tr class=\"channel").append(ids.isEmpty() ? "" : " flagged").append("\" id=\"ch-")
        .append(c.index()).append("\" data-channel=\"").append(c.index()).append("\" data-label=\"")
        .append(escape(c.label())).append("\" data-flags=\"").append(String.join(" ", ids))
        .append("\" data-count=\"").append(c.count()).append('"');
    for (Map.Entry<String, Double> v : values.entrySet()) {
      out.append(" data-").append(v.getKey()).append("=\"").append(Double.toString(v.getValue())).append('"');
    }
    ShiftColumns.attributes(out, c);
    out.append(">\n<td class=\"num\" data-col=\"channel\">").append(c.index())
        .append("</td><td class=\"label\" data-col=\"label\" title=\"").append(grouped(c.count()))
        .append(" values\">").append(escape(c.label())).append("</td><td class=\"flags\" data-col=\"flags\">");
    for (Flag f : c.flags()) {
      out.append("<div class=\"flag\" data-flag=\"").append(f.id()).append("\" title=\"")
          .append(escape(f.explanation().isEmpty() ? Flag.title(f.id()) : f.explanation())).append("\">");
      badge(out, f.id());
      out.append("</div>");
    }
    out.append("</td>\n<td class=\"hist-cell\">");
    HistogramSvg.append(out, c.input(), "input", c.shift() == null ? null : c.shift().reference());
    out.append("</td><td class=\"hist-cell\">");
    HistogramSvg.append(out, c.output(), "output");
    out.append("</td>\n");
    for (String[] group : GROUPS) {
      out.append("<td class=\"num stats\">");
      for (String name : group) {
        out.append("<div data-col=\"").append(name).append("\" title=\"").append(Numbers.full(values.get(name)))
            .append("\">").append(Numbers.short4(values.get(name))).append("</div>");
      }
      out.append("</td>");
    }
    if (shiftColumns) {
      ShiftColumns.cells(out, c);
    }
    out.append("</tr>\n");
  }

  /** The statistics of a channel by their data attribute names, in the order of {@link #STATS}. */
  static Map<String, Double> values(ChannelReport c) {
    double[] v = {c.mean(), c.std(), c.var(), c.min(), c.max(), c.q01(), c.q50(), c.q99()};
    Map<String, Double> values = new LinkedHashMap<>();
    for (int i = 0; i < STATS.length; i++) {
      values.put(STATS[i], v[i]);
    }
    return values;
  }

  private static String header(String name) {
    return name.startsWith("q") ? Integer.parseInt(name.substring(1)) + "%" : name;
  }

  private static void badge(StringBuilder out, String id) {
    boolean known = Flag.meaning(id) != null;
    out.append("<span class=\"badge ").append(known ? "b-" + id : "b-other").append("\">")
        .append(escape(Flag.title(id))).append("</span>");
  }

  /** Escapes text for HTML content and double- or single-quoted attributes. */
  public static String escape(String s) {
    StringBuilder b = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      switch (ch) {
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(ch < 0x20 && ch != '\n' && ch != '\t' ? ' ' : ch);
      }
    }
    return b.toString();
  }

  private static String text(String s) {
    return s == null || s.isEmpty() ? "\u2013" : s;
  }

  private static String grouped(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  private static String resource(String name) {
    try (InputStream in = HtmlReport.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("resource io/sparknorm/report/" + name + " is missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
