package io.sparknorm.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Results held to the golden files ({@link GoldenFiles}) within the tolerances of the README and data/README.md, in
 * one place for every module's tests. Float64 results are held to the exact values where the file has them, and to
 * PyTorch's only as closely as PyTorch itself agrees with them (its float64 loses digits on 1e8 + noise).
 *
 * <p>In-process results are asserted value by value ({@link #assertValue}, {@link #assertStatistic}); the output and
 * statistics of a job run elsewhere are checked whole ({@link #assertRows}, {@link #assertStatistics}), every value
 * off reported together.
 */
public final class GoldenChecks {
  /** The normalization cases and running-statistics goldens that data/golden/generate.py writes. */
  public static final int CASES = 47;
  public static final int RUNNING = 3;

  private GoldenChecks() {}

  /** Every golden case and running-statistics golden is read: none lost to a moved folder or a renamed file. */
  public static void assertEveryGoldenIsRead() {
    assertEquals(CASES, GoldenFiles.cases().size(), "golden cases in " + GoldenFiles.dataDir());
    assertEquals(RUNNING, GoldenFiles.running().size(), "running-statistics goldens in " + GoldenFiles.dataDir());
  }

  /**
   * One value of an in-process result: within {@code tolerance} (relative above 1) of the exact value where known
   * ({@code exact} NaN when not), and of torch's as closely as torch agrees with the exact value.
   */
  public static void assertValue(double torch, double exact, double actual, double tolerance, String where) {
    double allowed = tolerance * Math.max(1, Math.abs(torch));
    if (!Double.isNaN(exact)) {
      assertEquals(exact, actual, tolerance * Math.max(1, Math.abs(exact)), where + " (exact)");
      allowed = Math.max(allowed, 2 * Math.abs(torch - exact));
    }
    assertEquals(torch, actual, allowed, where + " (torch)");
  }

  /** Statistics computed in-process: 1e-12 relative of the exact values where known, and of torch's as closely. */
  public static void assertStatistic(double[] torch, double[] exact, double[] actual, String what) {
    assertEquals(torch.length, actual.length, what + ": channels");
    for (int c = 0; c < torch.length; c++) {
      double allowed = 1e-12 * Math.max(1, Math.abs(torch[c]));
      if (exact != null) {
        assertEquals(exact[c], actual[c], 1e-12 * Math.abs(exact[c]), what + " " + c + " (exact)");
        allowed = Math.max(allowed, 2 * Math.abs(torch[c] - exact[c]));
      }
      assertEquals(torch[c], actual[c], allowed, what + " " + c + " (torch)");
    }
  }

  /**
   * Null when {@code got} is close enough: float32 within 1e-5 of torch's value; float64 within 1e-9 (relative above
   * 1) of the exact value ({@code exact} NaN when unknown: then of torch's), and of torch's as closely as torch agrees
   * with the exact value. Otherwise what is off.
   */
  public static String valueProblem(boolean isDouble, double got, double torch, double exact) {
    if (!isDouble) {
      return Math.abs(got - torch) <= 1e-5 ? null
          : String.format(Locale.ROOT, "%s, torch %s (float32: 1e-5)", got, torch);
    }
    double tolTorch = 1e-9 * Math.max(1, Math.abs(torch));
    if (Double.isNaN(exact)) {
      return Math.abs(got - torch) <= tolTorch ? null : String.format(Locale.ROOT, "%s, torch %s (1e-9)", got, torch);
    }
    double torchOff = Math.abs(torch - exact);
    if (!(Math.abs(got - exact) <= 1e-9 * Math.max(1, Math.abs(exact)))) {
      return String.format(Locale.ROOT, "%s, exact %s (1e-9)", got, exact);
    }
    if (!(Math.abs(got - torch) <= Math.max(tolTorch, 2 * torchOff))) {
      return String.format(Locale.ROOT, "%s, torch %s (torch off exact by %s)", got, torch, torchOff);
    }
    return null;
  }

  /**
   * A whole output: {@code got[i]} is row i (null when it is missing or null), each of the input's length, every
   * value within {@link #valueProblem} of torch's row i and the exact one ({@code exact} null when unknown).
   */
  public static void assertRows(String what, boolean isDouble, double[][] torch, double[][] exact, double[][] got) {
    assertEquals(torch.length, got.length, what + ": rows out");
    List<String> failures = new ArrayList<>();
    double worst = 0;
    for (int i = 0; i < torch.length; i++) {
      assertNotNull(got[i], what + ": row " + i + " missing or null");
      assertEquals(torch[i].length, got[i].length, what + ": length of row " + i);
      for (int j = 0; j < got[i].length; j++) {
        double reference = exact != null ? exact[i][j] : torch[i][j];
        String problem = valueProblem(isDouble, got[i][j], torch[i][j], exact == null ? Double.NaN : exact[i][j]);
        worst = Math.max(worst, Math.abs(got[i][j] - reference));
        if (problem != null) {
          failures.add("row " + i + " [" + j + "]: " + problem);
        }
      }
    }
    double worstError = worst;
    assertTrue(failures.isEmpty(), () -> what + ": " + failures.size() + " values off (worst error " + worstError
        + "): " + head(failures));
  }

  /**
   * Batch statistics as JSON (a {@code --stats-out} file, {@code batch_norm_stats}'s struct): {@code count},
   * {@code shape}, and {@code mean}, {@code var}, {@code var_unbiased} within 1e-12 relative (a mean relative to its
   * channel's standard deviation: a mean near 0 of spread-out values cannot be closer), against the exact values
   * where there are any, and against torch's as closely as torch agrees with them.
   */
  public static void assertStatistics(GoldenFiles.Case c, JsonNode stats, String what) {
    assertEquals(c.count(), stats.path("count").asLong(-1), what + ": count in " + stats);
    int[] dims = c.shape().dims();
    JsonNode shape = stats.path("shape");
    assertEquals(dims.length, shape.size(), what + ": shape in " + stats);
    for (int i = 0; i < dims.length; i++) {
      assertEquals(dims[i], shape.get(i).asInt(), what + ": shape in " + stats);
    }
    int channels = c.shape().channels();
    double[] mean = values(stats, "mean", channels);
    double[] var = values(stats, "var", channels);
    double[] unbiased = values(stats, "var_unbiased", channels);
    List<String> failures = new ArrayList<>();
    for (int ch = 0; ch < channels; ch++) {
      double spread = Math.sqrt(c.exactVariance() != null ? c.exactVariance()[ch] : c.variance()[ch]);
      statisticProblem(failures, "mean", ch, mean[ch], c.mean()[ch], at(c.exactMean(), ch), spread);
      statisticProblem(failures, "var", ch, var[ch], c.variance()[ch], at(c.exactVariance(), ch), 0);
      statisticProblem(failures, "var_unbiased", ch, unbiased[ch], c.unbiasedVariance()[ch],
          at(c.exactUnbiasedVariance(), ch), 0);
    }
    assertTrue(failures.isEmpty(), () -> what + " " + stats + ": " + head(failures));
  }

  private static void statisticProblem(List<String> failures, String name, int ch, double got, double torch,
      double exact, double spread) {
    double reference = Double.isNaN(exact) ? torch : exact;
    boolean ok = Math.abs(got - reference) <= 1e-12 * Math.max(Math.abs(reference), spread);
    if (ok && !Double.isNaN(exact)) {
      ok = Math.abs(got - torch) <= Math.max(1e-12 * Math.max(Math.abs(torch), spread), 2 * Math.abs(torch - exact));
    }
    if (!ok) {
      failures.add(String.format(Locale.ROOT, "%s[%d] = %s, torch %s, exact %s", name, ch, got, torch,
          Double.isNaN(exact) ? "-" : Double.toString(exact)));
    }
  }

  private static double at(double[] values, int i) {
    return values == null ? Double.NaN : values[i];
  }

  private static double[] values(JsonNode stats, String key, int channels) {
    JsonNode node = stats.get(key);
    assertNotNull(node, "no " + key + " in " + stats);
    assertEquals(channels, node.size(), key + " in " + stats);
    double[] values = new double[channels];
    for (int i = 0; i < channels; i++) {
      values[i] = node.get(i).asDouble();
    }
    return values;
  }

  private static String head(List<String> failures) {
    return String.join("; ", failures.subList(0, Math.min(8, failures.size())));
  }
}
