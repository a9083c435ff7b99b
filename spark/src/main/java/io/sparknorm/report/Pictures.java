package io.sparknorm.report;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;

/**
 * The pictures of image-shaped data, as inline SVG (one {@code <rect class="px">} a pixel, its hover title naming the
 * channel and the figure): when the channels are the pixels of a square picture (one dimension C, a perfect square of
 * at least 16), the per-channel mean, std, a map of the flags and, with a comparison, a map of the shift, each pixel
 * going to its channel's row when clicked ({@code data-goto}); for (C, H, W) samples with per-element statistics, each
 * channel's mean and std pictures.
 */
final class Pictures {
  /** Channels whose per-element pictures are drawn, at most; the page says when there are more. */
  static final int MAX_ELEMENT_CHANNELS = 16;
  /** Cells along a picture's side, at most: larger pictures are drawn in blocks, each the average of its elements. */
  static final int MAX_SIDE = 64;
  private static final String[] VIRIDIS = {"#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"};
  private static final String[] REDS = {"#fff5f0", "#fcbba1", "#fb6a4a", "#cb181d", "#67000d"};
  private static final String NONE = "#eaeef2";
  /** Each flag's color on the flag map, as its badge's. */
  private static final List<String[]> FLAG_COLORS = List.of(new String[] {Flag.CONSTANT, "#57606a"},
      new String[] {Flag.OUTLIERS, "#cf222e"}, new String[] {Flag.MULTIMODAL, "#8250df"},
      new String[] {Flag.ZEROS, "#1a7f83"});

  private Pictures() {}

  /** The side of the square picture the channels make, or 0 when they make none. */
  static int channelSide(Report r) {
    if (r.dims() == null || r.dims().size() != 1) {
      return 0;
    }
    int c = r.dims().get(0);
    int side = (int) Math.round(Math.sqrt(c));
    return c >= 16 && side * side == c && r.channels().size() == c ? side : 0;
  }

  /** Whether the page has a section of pictures. */
  static boolean any(Report r) {
    return channelSide(r) > 0 || elementDims(r) != null;
  }

  private static int[] elementDims(Report r) {
    if (r.elements() == null || r.dims() == null || r.dims().size() < 3) {
      return null;
    }
    int c = r.dims().get(0);
    int h = r.dims().get(1);
    int w = 1;
    for (int i = 2; i < r.dims().size(); i++) {
      w *= r.dims().get(i);
    }
    return r.elements().mean().length == (long) c * h * w ? new int[] {c, h, w} : null;
  }

  static void append(StringBuilder out, Report r) {
    if (!any(r)) {
      return;
    }
    out.append("<section id=\"pictures\">\n<h2>Pictures <span class=\"hint\">");
    int side = channelSide(r);
    if (side > 0) {
      out.append("the ").append(r.channels().size()).append(" channels as the pixels of an image, ").append(side)
          .append(" \u00d7 ").append(side).append("; click a pixel to go to its channel</span></h2>\n")
          .append("<div class=\"pictures\">\n");
      channelPictures(out, r, side);
    } else {
      int[] d = elementDims(r);
      out.append("each element's mean and std over all rows, per channel (").append(d[1]).append(" \u00d7 ")
          .append(d[2]).append(")</span></h2>\n<div class=\"pictures\">\n");
      elementPictures(out, r, d);
    }
    out.append("</div>\n</section>\n");
  }

  private static void channelPictures(StringBuilder out, Report r, int side) {
    List<ChannelReport> cs = r.channels();
    double[] mean = cs.stream().mapToDouble(ChannelReport::mean).toArray();
    double[] std = cs.stream().mapToDouble(ChannelReport::std).toArray();
    ramp(out, "mean", side, mean, cs);
    ramp(out, "std", side, std, cs);
    StringBuilder key = new StringBuilder("<div class=\"key\">");
    for (String[] fc : FLAG_COLORS) {
      key.append("<span class=\"item\"><span class=\"swatch\" style=\"background:").append(fc[1])
          .append("\"></span>").append(HtmlReport.escape(Flag.title(fc[0]))).append("</span>");
    }
    key.append("<span class=\"item\"><span class=\"swatch\" style=\"background:").append(NONE)
        .append("\"></span>none</span></div>");
    figure(out, "flags", "flags (the first of a channel's)", side, side, key.toString(), i -> {
      ChannelReport c = cs.get(i);
      String color = NONE;
      for (String[] fc : FLAG_COLORS) {
        if (c.has(fc[0])) {
          color = fc[1];
          break;
        }
      }
      String flags = c.flags().stream().filter(f -> !Flag.shiftIds().contains(f.id())).map(f -> Flag.title(f.id()))
          .reduce((a, b) -> a + ", " + b).orElse("no flag");
      return new Pixel(i, color, false, label(c) + ": " + flags);
    });
    if (r.hasShift()) {
      double[] ks = cs.stream().mapToDouble(c -> c.shift() == null ? Double.NaN : c.shift().ks()).toArray();
      double top = 0.1;
      for (double v : ks) {
        top = Double.isFinite(v) ? Math.max(top, v) : top;
      }
      double scale = top;
      figure(out, "shift", "shift: Kolmogorov-Smirnov distance; outlined: flagged", side, side,
          colorBar(REDS, 0, scale), i -> {
        ChannelReport c = cs.get(i);
        ChannelShiftReport s = c.shift();
        String flags = c.flags().stream().filter(f -> Flag.shiftIds().contains(f.id())).map(f -> Flag.title(f.id()))
            .reduce((a, b) -> a + ", " + b).orElse("no shift flag");
        String title = s == null ? label(c) + ": not compared" : label(c) + ": ks " + Numbers.short4(s.ks()) + " \u00b1 "
            + Numbers.short4(s.ksError()) + ", mean shift " + Numbers.short4(s.meanShiftSd()) + " sd, " + flags;
        return new Pixel(i, s == null ? NONE : color(REDS, s.ks() / scale), c.shifted(), title);
      });
    }
  }

  private static void elementPictures(StringBuilder out, Report r, int[] d) {
    double[] mean = r.elements().mean();
    double[] std = r.elements().std();
    int channels = Math.min(d[0], MAX_ELEMENT_CHANNELS);
    int plane = d[1] * d[2];
    for (int c = 0; c < channels; c++) {
      String name = c < r.channels().size() ? label(r.channels().get(c)) : "c" + c;
      double[] m = Arrays.copyOfRange(mean, c * plane, (c + 1) * plane);
      double[] s = Arrays.copyOfRange(std, c * plane, (c + 1) * plane);
      elementRamp(out, "mean-c" + c, name + " mean", c, d[1], d[2], m);
      elementRamp(out, "std-c" + c, name + " std", c, d[1], d[2], s);
    }
    if (d[0] > channels) {
      out.append("<p class=\"hint\">the first ").append(channels).append(" of ").append(d[0])
          .append(" channels</p>\n");
    }
  }

  /** A picture of the channels' values on a color ramp over their range, one pixel a channel. */
  private static void ramp(StringBuilder out, String name, int side, double[] v, List<ChannelReport> cs) {
    double[] range = range(v);
    figure(out, name, name, side, side, colorBar(VIRIDIS, range[0], range[1]), i -> new Pixel(i,
        color(VIRIDIS, scaled(v[i], range)), false, label(cs.get(i)) + ": " + name + " " + Numbers.short4(v[i])));
  }

  /** One channel's per-element picture, in blocks when it is larger than {@link #MAX_SIDE}. */
  private static void elementRamp(StringBuilder out, String id, String caption, int channel, int h, int w,
      double[] v) {
    int block = Math.max(1, (Math.max(h, w) + MAX_SIDE - 1) / MAX_SIDE);
    int bh = (h + block - 1) / block;
    int bw = (w + block - 1) / block;
    double[] cells = new double[bh * bw];
    int[] n = new int[bh * bw];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int cell = y / block * bw + x / block;
        cells[cell] += v[y * w + x];
        n[cell]++;
      }
    }
    for (int i = 0; i < cells.length; i++) {
      cells[i] /= n[i];
    }
    double[] range = range(cells);
    String what = block == 1 ? "" : " (average of a " + block + " \u00d7 " + block + " block)";
    figure(out, id, caption, bh, bw, colorBar(VIRIDIS, range[0], range[1]), i -> new Pixel(channel,
        color(VIRIDIS, scaled(cells[i], range)), false, caption + " at [" + (i / bw * block) + ", "
            + (i % bw * block) + "]" + what + ": " + Numbers.short4(cells[i])));
  }

  private record Pixel(int channel, String color, boolean marked, String title) {}

  private static void figure(StringBuilder out, String id, String caption, int h, int w, String key,
      IntFunction<Pixel> pixel) {
    int cell = Math.max(2, Math.min(28, 200 / Math.max(h, w)));
    out.append("<figure class=\"picture\" data-picture=\"").append(id).append("\"><svg class=\"picture\" width=\"")
        .append(w * cell).append("\" height=\"").append(h * cell).append("\" viewBox=\"0 0 ").append(w * cell)
        .append(' ').append(h * cell).append("\">");
    StringBuilder marks = new StringBuilder();
    for (int i = 0; i < h * w; i++) {
      Pixel p = pixel.apply(i);
      int x = i % w * cell;
      int y = i / w * cell;
      out.append("<rect class=\"px\" data-goto=\"").append(p.channel()).append("\" x=\"").append(x)
          .append("\" y=\"").append(y).append("\" width=\"").append(cell).append("\" height=\"").append(cell)
          .append("\" fill=\"").append(p.color()).append("\"><title>").append(HtmlReport.escape(p.title()))
          .append("</title></rect>");
      if (p.marked()) {
        marks.append("<rect class=\"mark\" x=\"").append(x + 1).append("\" y=\"").append(y + 1).append("\" width=\"")
            .append(cell - 2).append("\" height=\"").append(cell - 2).append("\"/>");
      }
    }
    out.append(marks).append("</svg><figcaption>").append(HtmlReport.escape(caption))
        .append("</figcaption>").append(key).append("</figure>\n");
  }

  /** A small color bar: the ramp in 10 steps, with its two ends. */
  private static String colorBar(String[] colors, double lo, double hi) {
    StringBuilder bar = new StringBuilder("<div class=\"key\"><span class=\"end\" title=\"")
        .append(Numbers.full(lo)).append("\">").append(HtmlReport.escape(Numbers.short4(lo))).append("</span>");
    for (int i = 0; i < 10; i++) {
      bar.append("<span class=\"step\" style=\"background:").append(color(colors, (i + 0.5) / 10))
          .append("\"></span>");
    }
    bar.append("<span class=\"end\" title=\"").append(Numbers.full(hi)).append("\">")
        .append(HtmlReport.escape(Numbers.short4(hi))).append("</span></div>");
    return bar.toString();
  }

  private static double[] range(double[] v) {
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (double x : v) {
      if (Double.isFinite(x)) {
        lo = Math.min(lo, x);
        hi = Math.max(hi, x);
      }
    }
    return lo <= hi ? new double[] {lo, hi} : new double[] {0, 0};
  }

  private static double scaled(double v, double[] range) {
    if (!Double.isFinite(v)) {
      return Double.NaN;
    }
    return range[1] > range[0] ? (v - range[0]) / (range[1] - range[0]) : 0.5;
  }

  /** The ramp's color at t in [0, 1] (clamped), linear between its stops; gray for NaN. */
  static String color(String[] stops, double t) {
    if (Double.isNaN(t)) {
      return "#afb8c1";
    }
    double u = Math.max(0, Math.min(1, t)) * (stops.length - 1);
    int i = Math.min(stops.length - 2, (int) Math.floor(u));
    double f = u - i;
    int a = Integer.parseInt(stops[i].substring(1), 16);
    int b = Integer.parseInt(stops[i + 1].substring(1), 16);
    int rgb = 0;
    for (int shift = 16; shift >= 0; shift -= 8) {
      int ca = (a >> shift) & 255;
      int cb = (b >> shift) & 255;
      rgb |= (int) Math.round(ca + (cb - ca) * f) << shift;
    }
    return String.format(Locale.ROOT, "#%06x", rgb);
  }

  private static String label(ChannelReport c) {
    return "#" + c.index() + " " + c.label();
  }
}
