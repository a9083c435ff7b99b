package io.sparknorm.spark;

import io.sparknorm.core.ChannelProfile;
import io.sparknorm.core.ChannelShift;
import io.sparknorm.core.ChannelSketches;
import io.sparknorm.core.Mode;
import io.sparknorm.core.ShiftFlag;
import io.sparknorm.core.SketchHistogram;
import io.sparknorm.report.ChannelHistogram;
import io.sparknorm.report.ChannelShiftReport;
import io.sparknorm.report.Flag;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.quantilescommon.QuantileSearchCriteria;

/**
 * One channel's comparison with its reference as the report draws it: the input's histogram over the union of both
 * ranges, the reference's on the same edges rescaled to the input's count (so the two overlay), the figures, and the
 * shift flags with their channel-specific sentences.
 */
record ShiftView(ChannelHistogram input, ChannelShiftReport report, List<Flag> flags) {

  static ShiftView of(ChannelSketches now, int c, ChannelProfile reference, ChannelShift shift, int bins) {
    boolean hasNow = now.finiteCount(c) > 0;
    boolean hasReference = reference.finite() > 0 && !reference.sketch().isEmpty();
    ChannelHistogram input;
    ChannelHistogram referenceHistogram;
    if (hasNow || hasReference) {
      double lo = Math.min(hasNow ? now.min(c) : Double.POSITIVE_INFINITY,
          hasReference ? reference.min() : Double.POSITIVE_INFINITY);
      double hi = Math.max(hasNow ? now.max(c) : Double.NEGATIVE_INFINITY,
          hasReference ? reference.max() : Double.NEGATIVE_INFINITY);
      SketchHistogram h = hasNow ? now.histogram(c, bins, lo, hi) : null;
      double[] edges = h != null ? h.edges() : uniformEdges(bins, lo, hi);
      double[] counts = new double[edges.length - 1];
      for (int i = 0; h != null && i < counts.length; i++) {
        counts[i] = h.count(i);
      }
      input = new ChannelHistogram(edges, counts);
      double total = hasNow ? h.total() : reference.finite();
      referenceHistogram = new ChannelHistogram(edges,
          hasReference ? rescaled(reference.sketch(), edges, total) : new double[counts.length]);
    } else {
      input = new ChannelHistogram(new double[] {0, 0}, new double[] {0});
      referenceHistogram = input;
    }
    List<Flag> flags = new ArrayList<>();
    for (ShiftFlag f : ShiftFlag.values()) {
      if (shift.flags().contains(f)) {
        Map<ShiftFlag, String> why = shift.explanations();
        flags.add(new Flag(id(f), why == null ? null : why.get(f)));
      }
    }
    ChannelShiftReport report = new ChannelShiftReport(shift.meanShiftSd(), shift.varRatio(), shift.psi(), shift.ks(),
        shift.ksError(), shift.wassersteinSd(), shift.outOfRange(), locations(shift.modesReference()),
        locations(shift.modesNow()), shift.severity(), referenceHistogram);
    return new ShiftView(input, report, flags);
  }

  /** The page's id of a shift flag. */
  static String id(ShiftFlag flag) {
    return switch (flag) {
      case SHIFTED -> Flag.SHIFTED;
      case MODE_LOST -> Flag.MODE_LOST;
      case MODE_NEW -> Flag.MODE_NEW;
      case OUT_OF_RANGE -> Flag.OUT_OF_RANGE;
    };
  }

  /** The sketch's counts in the bins [edges[i], edges[i + 1]) (the last closed), scaled to sum to {@code total}. */
  private static double[] rescaled(KllDoublesSketch sketch, double[] edges, double total) {
    int n = edges.length - 1;
    double[] below = sketch.getCDF(Arrays.copyOf(edges, n), QuantileSearchCriteria.EXCLUSIVE);
    double[] cumulative = Arrays.copyOf(below, n + 1);
    cumulative[n] = sketch.getRank(edges[n], QuantileSearchCriteria.INCLUSIVE);
    double[] counts = new double[n];
    for (int i = 0; i < n; i++) {
      counts[i] = Math.max(0, cumulative[i + 1] - cumulative[i]) * total;
    }
    return counts;
  }

  private static double[] uniformEdges(int bins, double lo, double hi) {
    if (!(hi > lo)) {
      return new double[] {lo, hi};
    }
    double[] edges = new double[bins + 1];
    for (int i = 0; i < bins; i++) {
      edges[i] = lo + (hi / bins - lo / bins) * i;
    }
    edges[bins] = hi;
    return edges;
  }

  private static List<Double> locations(List<Mode> modes) {
    return modes == null ? List.of() : modes.stream().map(Mode::location).toList();
  }
}
