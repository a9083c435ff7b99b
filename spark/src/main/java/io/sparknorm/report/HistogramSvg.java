package io.sparknorm.report;

import java.util.Locale;

/**
 * A histogram as a small inline SVG: one filled step outline for the bars (heights linear in the counts, the tallest
 * bin full height, any non-empty bin at least 2 px so that rare values show), a baseline and the range's two ends;
 * with a reference histogram on the same edges, its step line drawn over the bars on the same scale.
 */
final class HistogramSvg {
  static final int WIDTH = 150;
  static final int BARS = 30;
  static final int HEIGHT = 42;

  private HistogramSvg() {}

  /** Appends {@code <svg class="hist KIND" data-bins data-lo data-hi data-total>}; kind is "input" or "output". */
  static void append(StringBuilder out, ChannelHistogram h, String kind) {
    append(out, h, kind, null);
  }

  /**
   * As {@link #append(StringBuilder, ChannelHistogram, String)}, with {@code reference} (null: none), a histogram on
   * the same edges, drawn as {@code <path class="ref">} over the bars.
   */
  static void append(StringBuilder out, ChannelHistogram h, String kind, ChannelHistogram reference) {
    double lo = h.lo();
    double hi = h.hi();
    double[] counts = h.counts();
    double[] edges = h.edges();
    double total = h.total();
    double max = 0;
    for (double c : counts) {
      max = Math.max(max, c);
    }
    double tallest = max;
    double[] ref = reference == null || reference.bins() != counts.length ? null : reference.counts();
    for (int i = 0; ref != null && i < ref.length; i++) {
      max = Math.max(max, ref[i]);
    }
    boolean degenerate = !(hi > lo) || Double.isInfinite(hi - lo);
    out.append("<svg class=\"hist ").append(kind).append("\" viewBox=\"0 0 ").append(WIDTH).append(' ')
        .append(HEIGHT).append("\" width=\"").append(WIDTH).append("\" height=\"").append(HEIGHT)
        .append("\" data-bins=\"").append(counts.length).append("\" data-lo=\"").append(Double.toString(lo))
        .append("\" data-hi=\"").append(Double.toString(hi)).append("\" data-total=\"")
        .append(Double.toString(total)).append("\"><title>");
    String what = "input".equals(kind) ? "input" : "normalized output";
    if (total <= 0) {
      out.append(what).append(": no values");
    } else if (degenerate) {
      out.append(what).append(": all ").append(count(total)).append(" values in [").append(Double.toString(lo))
          .append(", ").append(Double.toString(hi)).append(']');
    } else {
      out.append(what).append(": ").append(count(total)).append(" values from ").append(Double.toString(lo))
          .append(" to ").append(Double.toString(hi)).append(", ").append(counts.length).append(" bins, tallest ")
          .append(count(tallest));
    }
    if (ref != null) {
      out.append("; the line: the reference, rescaled to the same count");
    }
    out.append("</title><path class=\"bars\" d=\"");
    if (total > 0 && degenerate) {
      out.append("M").append(WIDTH / 2 - 3).append(' ').append(BARS).append("V1h6V").append(BARS).append('Z');
    } else if (total > 0) {
      out.append("M0 ").append(BARS);
      String lastY = null;
      for (int i = 0; i < counts.length; i++) {
        String y = num(counts[i] <= 0 ? BARS : BARS - Math.max(2, counts[i] / max * (BARS - 1)));
        if (!y.equals(lastY)) {
          out.append('V').append(y);
          lastY = y;
        }
        out.append('H').append(num((edges[i + 1] - lo) / (hi - lo) * WIDTH));
      }
      out.append('V').append(BARS).append('Z');
    }
    out.append("\"/>");
    if (ref != null && total > 0 && !degenerate) {
      out.append("<path class=\"ref\" d=\"M0 ").append(BARS);
      for (int i = 0; i < ref.length; i++) {
        String y = num(ref[i] <= 0 ? BARS : BARS - Math.max(1, ref[i] / max * (BARS - 1)));
        out.append('V').append(y).append('H').append(num((edges[i + 1] - lo) / (hi - lo) * WIDTH));
      }
      out.append('V').append(BARS).append("\"/>");
    }
    out.append("<path class=\"axis\" d=\"M0 ").append(BARS).append(".5H").append(WIDTH).append("\"/>");
    if (degenerate) {
      text(out, WIDTH / 2, "middle", total > 0 ? "all " + label(lo) : "no values");
    } else {
      text(out, 0, "start", label(lo));
      text(out, WIDTH, "end", label(hi));
    }
    out.append("</svg>");
  }

  private static void text(StringBuilder out, int x, String anchor, String s) {
    out.append("<text x=\"").append(x).append("\" y=\"").append(HEIGHT - 2).append('"');
    if (!"start".equals(anchor)) {
      out.append(" text-anchor=\"").append(anchor).append('"');
    }
    out.append('>').append(HtmlReport.escape(s)).append("</text>");
  }

  /** A coordinate with at most one decimal, no trailing ".0". */
  static String num(double v) {
    long tenths = Math.round(v * 10);
    return tenths % 10 == 0 ? Long.toString(tenths / 10) : (tenths < 0 && tenths > -10 ? "-" : "")
        + (tenths / 10) + "." + Math.abs(tenths % 10);
  }

  private static String count(double c) {
    return c == Math.rint(c) && Math.abs(c) < 1e15 ? Long.toString((long) c) : Double.toString(c);
  }

  /** A short axis label: integers as such, else three significant digits. */
  static String label(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e6) {
      return Long.toString((long) v);
    }
    String s = String.format(Locale.ROOT, "%.3g", v);
    if (s.contains("e")) {
      return s.replaceFirst("\\.?0+e", "e").replace("e+0", "e").replace("e-0", "e-").replace("e+", "e");
    }
    return s.contains(".") ? s.replaceFirst("\\.?0+$", "") : s;
  }
}
