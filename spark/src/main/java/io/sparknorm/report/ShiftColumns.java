package io.sparknorm.report;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The comparison with a reference profile on the page: the summary at the top (channels compared, flagged, each
 * flag's count, the worst channel) and the table's columns of figures.
 */
final class ShiftColumns {
  /** The figures, as data attributes and cells' {@code data-col}, in the columns' order. */
  static final String[] FIGURES = {"mean-shift", "var-ratio", "psi", "ks", "wasserstein", "out-of-range",
      "severity"};
  private static final String[][] GROUPS = {{"mean-shift", "var-ratio", "psi"}, {"ks", "wasserstein",
      "out-of-range"}, {"modes", "severity"}};
  private static final Map<String, String[]> HEADERS = Map.of(
      "mean-shift", new String[] {"mean shift", "the mean's move in reference standard deviations"},
      "var-ratio", new String[] {"var ratio", "variance now / the reference's"},
      "psi", new String[] {"PSI", "population stability index over the reference's deciles"},
      "ks", new String[] {"KS", "Kolmogorov-Smirnov distance, \u00b1 the sketches' error bound"},
      "wasserstein", new String[] {"W1", "Wasserstein-1 distance in reference standard deviations"},
      "out-of-range", new String[] {"out of range", "share of the values outside the reference's [min, max]"},
      "modes", new String[] {"modes", "the modes' locations: the reference's \u2192 now"},
      "severity", new String[] {"severity", "the largest figure over its threshold; above 1 when flagged"});

  private ShiftColumns() {}

  /** The figures of a channel by their data attribute names, in the order of {@link #FIGURES}. */
  static Map<String, Double> values(ChannelShiftReport s) {
    double[] v = {s.meanShiftSd(), s.varRatio(), s.psi(), s.ks(), s.wassersteinSd(), s.outOfRange(), s.severity()};
    Map<String, Double> values = new LinkedHashMap<>();
    for (int i = 0; i < FIGURES.length; i++) {
      values.put(FIGURES[i], v[i]);
    }
    return values;
  }

  /** The flagged channel of the highest severity, or null. */
  static ChannelReport worst(Report r) {
    ChannelReport worst = null;
    for (ChannelReport c : r.channels()) {
      if (c.shifted() && c.shift() != null && (worst == null || c.shift().severity() > worst.shift().severity())) {
        worst = c;
      }
    }
    return worst;
  }

  /** {@code <section id="shift-summary">}: items as the run's summary's, the worst channel a link to its row. */
  static void summary(StringBuilder out, Report r) {
    long compared = r.channels().stream().filter(c -> c.shift() != null).count();
    out.append("<section id=\"shift-summary\">\n<h2>Compared with the reference profile</h2>\n<dl class=\"items\">\n");
    item(out, "shift-channels", "channels compared", Long.toString(compared), String.format(Locale.ROOT, "%,d", compared));
    long flagged = r.shiftedChannels();
    item(out, "shift-flagged", "with a shift flag", Long.toString(flagged), String.format(Locale.ROOT, "%,d", flagged));
    for (String id : Flag.shiftIds()) {
      long n = r.channels().stream().filter(c -> c.has(id)).count();
      item(out, "shift-" + id, Flag.title(id), Long.toString(n), String.format(Locale.ROOT, "%,d", n));
    }
    ChannelReport worst = worst(r);
    out.append("<div class=\"item\" data-key=\"shift-worst\" data-value=\"")
        .append(worst == null ? "" : Integer.toString(worst.index())).append("\"><dt>worst channel</dt><dd>");
    if (worst == null) {
      out.append("none");
    } else {
      ChannelShiftReport s = worst.shift();
      out.append("<a class=\"goto\" data-goto=\"").append(worst.index()).append("\" tabindex=\"0\">#")
          .append(worst.index()).append(' ').append(HtmlReport.escape(worst.label())).append("</a> <span class=\"fig\">")
          .append(HtmlReport.escape(worst.flags().stream().filter(f -> Flag.shiftIds().contains(f.id()))
              .map(f -> Flag.title(f.id())).reduce((a, b) -> a + ", " + b).orElse("")))
          .append("; mean shift ").append(Numbers.short4(s.meanShiftSd())).append(" sd, KS ")
          .append(Numbers.short4(s.ks())).append(", PSI ").append(Numbers.short4(s.psi())).append("</span>");
    }
    out.append("</dd></div>\n</dl>\n</section>\n");
  }

  private static void item(StringBuilder out, String key, String name, String value, String shown) {
    out.append("<div class=\"item\" data-key=\"").append(key).append("\" data-value=\"").append(value)
        .append("\"><dt>").append(HtmlReport.escape(name)).append("</dt><dd>").append(shown).append("</dd></div>\n");
  }

  /** The header cells of the figures' columns. */
  static void headers(StringBuilder out) {
    for (String[] group : GROUPS) {
      out.append("<th class=\"num shift\">");
      for (String name : group) {
        String[] h = HEADERS.get(name);
        out.append("<span").append(name.equals("modes") ? "" : " data-sort=\"" + name + "\"").append(" title=\"")
            .append(HtmlReport.escape(h[1])).append("\">").append(HtmlReport.escape(h[0])).append("</span>");
      }
      out.append("</th>");
    }
  }

  /** The row's data attributes of the figures (NaN without a comparison). */
  static void attributes(StringBuilder out, ChannelReport c) {
    if (c.shift() == null) {
      return;
    }
    for (Map.Entry<String, Double> v : values(c.shift()).entrySet()) {
      out.append(" data-").append(v.getKey()).append("=\"").append(Numbers.full(v.getValue())).append('"');
    }
  }

  /** The row's cells of the figures. */
  static void cells(StringBuilder out, ChannelReport c) {
    ChannelShiftReport s = c.shift();
    if (s == null) {
      out.append("<td class=\"num shift\" colspan=\"3\">not compared</td>");
      return;
    }
    Map<String, Double> values = values(s);
    for (String[] group : GROUPS) {
      out.append("<td class=\"num shift\">");
      for (String name : group) {
        out.append("<div data-col=\"").append(name).append('"');
        switch (name) {
          case "modes" -> out.append(" title=\"the reference's at ").append(locations(s.modesReference()))
              .append("; now at ").append(locations(s.modesNow())).append("\">").append(s.modesReference().size())
              .append(" \u2192 ").append(s.modesNow().size());
          case "ks" -> out.append(" title=\"").append(Numbers.full(s.ks())).append(" \u00b1 ")
              .append(Numbers.full(s.ksError())).append("\">").append(Numbers.short4(s.ks())).append(" \u00b1 ")
              .append(Numbers.short4(s.ksError()));
          case "out-of-range" -> out.append(" title=\"").append(Numbers.full(s.outOfRange())).append("\">")
              .append(Numbers.percent(s.outOfRange()));
          default -> out.append(" title=\"").append(Numbers.full(values.get(name))).append("\">")
              .append(Numbers.short4(values.get(name)));
        }
        out.append("</div>");
      }
      out.append("</td>");
    }
  }

  private static String locations(List<Double> modes) {
    return modes.isEmpty() ? "none" : String.join(", ", modes.stream().map(Numbers::short4).toList());
  }
}
