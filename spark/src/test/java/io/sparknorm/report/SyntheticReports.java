package io.sparknorm.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Reports over generated data whose flags the tests know: channel i is of kind i % 8 (normal, bimodal, constant,
 * mostly zeros, outliers, wide normal, bimodal with zeros, uniform), and its statistics and histograms are computed
 * from the values.
 */
final class SyntheticReports {
  static final double EPS = 1e-5;
  static final String ODD_LABEL = "px<5> & \"five\" 'q' </script><script>console.error('injected')</script>";
  static final String ODD_PATH = "/data/a&b/<in> \"x\" 'y'.jsonl";

  private SyntheticReports() {}

  enum Kind { NORMAL, BIMODAL, CONSTANT, ZEROS, OUTLIERS, WIDE, BIMODAL_ZEROS, UNIFORM }

  static Kind kind(int channel) {
    return Kind.values()[channel % 8];
  }

  static Report report(int channels, int values) {
    Random random = new Random(42 + channels);
    List<ChannelReport> list = new ArrayList<>();
    for (int c = 0; c < channels; c++) {
      list.add(channel(c, kind(c), sample(kind(c), values, random)));
    }
    return new Report("batch", "(" + channels + ")", "features", ODD_PATH, "target/out dir/<digits>", null,
        values + 3L, values, 3, 0, 9.8765, "exact-sums", EPS, "2026-11-26T23:30:00Z", list);
  }

  static double[] sample(Kind kind, int n, Random r) {
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = switch (kind) {
        case NORMAL -> 5 + r.nextGaussian();
        case BIMODAL -> (r.nextBoolean() ? 2 : 14) + 0.5 * r.nextGaussian();
        case CONSTANT -> 3.0;
        case ZEROS -> r.nextDouble() < 0.8 ? 0 : 1 + 15 * r.nextDouble();
        case OUTLIERS -> i % 100 == 7 ? 500 + 100 * r.nextDouble() : r.nextGaussian();
        case WIDE -> 1e6 * r.nextGaussian();
        case BIMODAL_ZEROS -> i % 2 == 0 ? 0 : 12 + r.nextGaussian();
        case UNIFORM -> -1 + 2 * r.nextDouble();
      };
    }
    return v;
  }

  static List<Flag> flags(Kind kind) {
    return switch (kind) {
      case BIMODAL -> List.of(new Flag(Flag.MULTIMODAL, "two groups of values, around 2 and 14"));
      case CONSTANT -> List.of(new Flag(Flag.CONSTANT, "every value is 3.0; variance 0.0 < eps"));
      case ZEROS -> List.of(new Flag(Flag.ZEROS, "80% of the values are 0"));
      case OUTLIERS -> List.of(new Flag(Flag.OUTLIERS, "1% of the values beyond 100 std"));
      case BIMODAL_ZEROS -> List.of(new Flag(Flag.MULTIMODAL, "two groups, at 0 and around 12"),
          new Flag(Flag.ZEROS, "50% of the values are 0"));
      default -> List.of();
    };
  }

  static ChannelReport channel(int index, Kind kind, double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    double mean = Arrays.stream(values).sum() / values.length;
    double var = Arrays.stream(values).map(v -> (v - mean) * (v - mean)).sum() / values.length;
    double std = Math.sqrt(var);
    double[] normalized = Arrays.stream(values).map(v -> (v - mean) / Math.sqrt(var + EPS)).toArray();
    String label = index == 5 ? ODD_LABEL : "c" + index;
    return new ChannelReport(index, label, values.length, mean, var, std, sorted[0], sorted[sorted.length - 1],
        quantile(sorted, 0.01), quantile(sorted, 0.5), quantile(sorted, 0.99), ChannelHistogram.of(values, 24),
        ChannelHistogram.of(normalized, 24), flags(kind));
  }

  static double quantile(double[] sorted, double q) {
    return sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  }
}
