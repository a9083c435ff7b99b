package io.sparknorm.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.core.GoldenFiles.Case;
import io.sparknorm.core.GoldenFiles.Refused;
import io.sparknorm.core.GoldenFiles.Running;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The numeric core against every PyTorch golden file. */
class GoldenCasesTest {

  static List<Case> cases() {
    return GoldenFiles.cases();
  }

  /** The batch-norm cases: the only ones that carry statistics. */
  static List<Case> batchCases() {
    return GoldenFiles.cases().stream().filter(c -> c.method() == NormMethod.BATCH).toList();
  }

  static List<Running> running() {
    return GoldenFiles.running();
  }

  static List<Refused> refused() {
    return GoldenFiles.refused();
  }

  @Test
  void theGoldenSetCoversEveryMethodAndBothPrecisions() {
    GoldenChecks.assertEveryGoldenIsRead();
    List<Case> all = cases();
    for (NormMethod method : NormMethod.values()) {
      assertTrue(all.stream().anyMatch(c -> c.method() == method && c.isDouble()), method + " float64");
      assertTrue(all.stream().anyMatch(c -> c.method() == method && !c.isDouble()), method + " float32");
    }
  }

  /** Fits batch statistics with the core's exact moments, the way the Spark job does per partition. */
  static BatchStatistics fit(Shape shape, double[][] samples, boolean isDouble) {
    ExactMoments moments = new ExactMoments(shape);
    for (double[] sample : samples) {
      if (isDouble) {
        moments.update(sample);
      } else {
        moments.update(GoldenFiles.toFloat(sample));
      }
    }
    return moments.statistics();
  }

  static Normalizer normalizerFor(Case c) {
    return switch (c.method()) {
      case BATCH -> Normalizers.batch(fit(c.shape(), c.input(), c.isDouble()), c.eps(), c.affine());
      case LAYER -> Normalizers.layer(c.shape(), c.eps(), c.affine());
      case INSTANCE -> Normalizers.instance(c.shape(), c.eps(), c.affine());
      case GROUP -> Normalizers.group(c.shape(), c.groups(), c.eps(), c.affine());
    };
  }

  static void assertMatches(double[][] expected, Normalizer normalizer, double[][] input, boolean isDouble,
      double tolerance, String name) {
    assertMatches(expected, null, normalizer, input, isDouble, tolerance, name);
  }

  /**
   * Our output against torch's within the tolerance (relative for outputs above 1 in size); where
   * the exact values are known, against them within the tolerance and against torch as closely as
   * torch agrees with them (torch's float64 loses digits on 1e8 + noise).
   */
  static void assertMatches(double[][] torch, double[][] exact, Normalizer normalizer, double[][] input,
      boolean isDouble, double tolerance, String name) {
    for (int s = 0; s < input.length; s++) {
      Object out = isDouble ? normalizer.apply(input[s]) : normalizer.apply(GoldenFiles.toFloat(input[s]));
      for (int i = 0; i < input[s].length; i++) {
        double actual = isDouble ? ((double[]) out)[i] : ((float[]) out)[i];
        GoldenChecks.assertValue(torch[s][i], exact != null ? exact[s][i] : Double.NaN, actual, tolerance,
            name + " sample " + s + " element " + i);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void matchesPyTorch(Case c) {
    assertMatches(c.output(), c.exactOutput(), normalizerFor(c), c.input(), c.isDouble(), c.tolerance(), c.name());
  }

  @Test
  void doubleCasesCarryExactReferences() {
    for (Case c : cases()) {
      assertEquals(c.isDouble(), c.exactOutput() != null, c.name());
    }
  }

  @Test
  void theGoldenSetHasBatchCasesInBothPrecisions() {
    List<Case> batch = batchCases();
    assertTrue(batch.stream().anyMatch(Case::isDouble), "batch float64 cases");
    assertTrue(batch.stream().anyMatch(c -> !c.isDouble()), "batch float32 cases");
    assertTrue(batch.stream().allMatch(c -> c.mean() != null && c.variance() != null && c.unbiasedVariance() != null),
        "every batch case carries torch's statistics");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("batchCases")
  void batchStatisticsMatchPyTorch(Case c) {
    BatchStatistics stats = fit(c.shape(), c.input(), c.isDouble());
    assertEquals(c.count(), stats.count());
    GoldenChecks.assertStatistic(c.mean(), c.exactMean(), stats.mean(), "mean");
    GoldenChecks.assertStatistic(c.variance(), c.exactVariance(), stats.variance(), "var");
    GoldenChecks.assertStatistic(c.unbiasedVariance(), c.exactUnbiasedVariance(), stats.unbiasedVariance(),
        "var_unbiased");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("running")
  void runningStatisticsMatchPyTorchOverSeveralBatches(Running r) {
    RunningStatistics running = new RunningStatistics(r.shape(), r.momentum());
    Affine affine = Affine.of(r.weight(), r.bias());
    double tolerance = r.isDouble() ? 1e-9 : 1e-5;
    for (int b = 0; b < r.batches().size(); b++) {
      double[][] batch = r.batches().get(b);
      BatchStatistics stats = fit(r.shape(), batch, r.isDouble());
      assertMatches(r.outputs().get(b), Normalizers.batch(stats, r.eps(), affine), batch, r.isDouble(), tolerance,
          r.name() + " batch " + b);
      running.update(stats);
      for (int c = 0; c < r.shape().channels(); c++) {
        assertEquals(r.runningMean().get(b)[c], running.runningMean()[c], tolerance, "running_mean " + c);
        assertEquals(r.runningVar().get(b)[c], running.runningVar()[c], tolerance, "running_var " + c);
      }
    }
    double[][] last = r.batches().get(r.batches().size() - 1);
    assertMatches(r.evalOutput(), Normalizers.batch(running.toStatistics(), r.eps(), affine), last, r.isDouble(),
        tolerance, r.name() + " eval");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void refusesWhatPyTorchRefuses(Refused r) {
    double[] weight = r.weightLength() == null ? null : new double[r.weightLength()];
    double[] bias = r.biasLength() == null ? null : new double[r.biasLength()];
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
      Affine affine = Affine.of(weight, bias);
      Normalizer normalizer = switch (r.method()) {
        case BATCH -> {
          ExactMoments moments = new ExactMoments(r.shape());
          for (int s = 0; s < r.samples(); s++) {
            moments.update(new double[r.tensorLength() != null ? r.tensorLength() : r.shape().size()]);
          }
          yield Normalizers.batch(moments.statistics(), 1e-5, affine);
        }
        case LAYER -> Normalizers.layer(r.shape(), 1e-5, affine);
        case INSTANCE -> Normalizers.instance(r.shape(), 1e-5, affine);
        case GROUP -> Normalizers.group(r.shape(), r.groups(), 1e-5, affine);
      };
      if (r.tensorLength() != null) {
        normalizer.apply(new double[r.tensorLength()]);
      }
    }, r.name() + ": PyTorch says " + r.torchError());
    Rule rule = ruleFor(r);
    assertTrue(r.torchError().contains(rule.torchFragment()),
        r.name() + ": the golden file's torch message should name the rule '" + rule.torchFragment() + "': "
            + r.torchError());
    assertTrue(e.getMessage().contains(rule.ourFragment()),
        r.name() + ": expected our message to name the rule '" + rule.ourFragment() + "', got: " + e.getMessage());
  }

  /**
   * The rule a refusal breaks, as torch names it (a fragment of the golden file's message) and as
   * we name it (a fragment of our message, with the case's own numbers).
   */
  record Rule(String torchFragment, String ourFragment) {}

  /**
   * The rule each kind of refusal must trip, from the case's name ({@code <method>_<kind>}); a kind
   * not listed here fails, so a new refusal in the golden file needs its rule written down.
   */
  static Rule ruleFor(Refused r) {
    String prefix = r.method().name().toLowerCase(java.util.Locale.ROOT) + "_";
    assertTrue(r.name().startsWith(prefix), r.name() + " should start with " + prefix);
    String kind = r.name().substring(prefix.length());
    // Affine arrays: one per channel, except layer norm's one per element.
    int affineLength = r.method() == NormMethod.LAYER ? r.shape().size() : r.shape().channels();
    return switch (kind) {
      case "g_not_dividing_c", "g_greater_than_c" -> new Rule("divisible by num_groups",
          "groups " + r.groups() + " does not divide the channel count C = " + r.shape().channels());
      case "g_zero" -> new Rule("by zero",
          "groups is 0, must be a positive divisor of the channel count " + r.shape().channels());
      case "g_negative" -> new Rule("greater than 0",
          "groups is " + r.groups() + ", must be a positive divisor of the channel count " + r.shape().channels());
      case "one_spatial_element", "no_spatial_dims" -> new Rule("more than 1 spatial element",
          "instance norm needs more than 1 spatial element per channel, got shape " + r.shape());
      case "one_value_per_channel" -> new Rule("more than 1 value per channel",
          "batch norm needs more than 1 value per channel, got " + (long) r.samples() * r.shape().spatialSize());
      case "weight_wrong_length" -> new Rule("weight",
          "affine weight has " + r.weightLength() + " values, expected " + affineLength + ": ");
      case "bias_wrong_length" -> new Rule("bias",
          "affine bias has " + r.biasLength() + " values, expected " + affineLength + ": ");
      case "tensor_len_mismatch" -> new Rule("is invalid for input of size " + r.tensorLength(),
          "tensor of length " + r.tensorLength() + " does not match shape " + r.shape() + " (" + r.shape().size()
              + " elements)");
      default -> throw new AssertionError(r.name() + ": no rule known for refusal kind '" + kind
          + "' (PyTorch says " + r.torchError() + ")");
    };
  }
}
