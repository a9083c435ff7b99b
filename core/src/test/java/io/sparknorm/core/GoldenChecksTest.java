package io.sparknorm.core;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** {@link GoldenChecks} passes the golden values themselves and fails a value off by twice its tolerance. */
class GoldenChecksTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static GoldenFiles.Case golden(boolean isDouble, NormMethod method) {
    return GoldenFiles.cases().stream().filter(c -> c.isDouble() == isDouble && c.method() == method).findFirst()
        .orElseThrow();
  }

  private static double[][] copy(double[][] rows) {
    return Arrays.stream(rows).map(double[]::clone).toArray(double[][]::new);
  }

  @Test
  void rowsPassAsTheGoldenHasThemAndFailOffByTwiceTheTolerance() {
    for (boolean isDouble : new boolean[] {true, false}) {
      GoldenFiles.Case c = golden(isDouble, NormMethod.LAYER);
      double[][] reference = isDouble ? c.exactOutput() : c.output();
      GoldenChecks.assertRows(c.name(), isDouble, c.output(), c.exactOutput(), copy(reference));

      double[][] off = copy(reference);
      off[1][0] += 2 * c.tolerance() * Math.max(1, Math.abs(off[1][0]));
      AssertionError error = assertThrows(AssertionError.class,
          () -> GoldenChecks.assertRows(c.name(), isDouble, c.output(), c.exactOutput(), off));
      assertTrue(error.getMessage().contains("1 values off") && error.getMessage().contains("row 1 [0]"),
          error.getMessage());

      double[][] missing = copy(reference);
      missing[0] = null;
      assertThrows(AssertionError.class,
          () -> GoldenChecks.assertRows(c.name(), isDouble, c.output(), c.exactOutput(), missing));
    }
  }

  @Test
  void statisticsPassAsTheGoldenHasThemAndFailOffInTheTwelfthDigit() {
    GoldenFiles.Case c = golden(true, NormMethod.BATCH);
    GoldenChecks.assertStatistics(c, statistics(c, c.exactMean()), c.name());
    double[] mean = c.exactMean().clone();
    mean[0] += 2e-12 * Math.max(Math.abs(mean[0]), Math.sqrt(c.exactVariance()[0]));
    AssertionError error = assertThrows(AssertionError.class,
        () -> GoldenChecks.assertStatistics(c, statistics(c, mean), c.name()));
    assertTrue(error.getMessage().contains("mean[0]"), error.getMessage());
  }

  @Test
  void everyGoldenIsRead() {
    GoldenChecks.assertEveryGoldenIsRead();
  }

  /** The case's statistics as a --stats-out file holds them, with this mean. */
  private static ObjectNode statistics(GoldenFiles.Case c, double[] mean) {
    ObjectNode stats = JSON.createObjectNode().put("count", c.count());
    Arrays.stream(c.shape().dims()).forEach(stats.putArray("shape")::add);
    Arrays.stream(mean).forEach(stats.putArray("mean")::add);
    Arrays.stream(c.exactVariance()).forEach(stats.putArray("var")::add);
    Arrays.stream(c.exactUnbiasedVariance()).forEach(stats.putArray("var_unbiased")::add);
    return stats;
  }
}
