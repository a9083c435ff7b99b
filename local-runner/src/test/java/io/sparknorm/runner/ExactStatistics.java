package io.sparknorm.runner;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;

/**
 * A channel's exact count, sum and sum of squares (BigDecimal), the statistics they give, and the check that a
 * statistics file holds them correctly rounded (what the job's exact sums promise).
 */
record ExactStatistics(long count, BigDecimal sum, BigDecimal sumOfSquares) {

  private static final MathContext EXACT = new MathContext(60);

  static ExactStatistics ofCounts(long[] counts, IntFunction<BigDecimal> value) {
    long n = 0;
    BigDecimal sum = BigDecimal.ZERO;
    BigDecimal squares = BigDecimal.ZERO;
    for (int k = 0; k < counts.length; k++) {
      BigDecimal x = value.apply(k);
      BigDecimal times = BigDecimal.valueOf(counts[k]);
      n += counts[k];
      sum = sum.add(x.multiply(times));
      squares = squares.add(x.multiply(x).multiply(times));
    }
    return new ExactStatistics(n, sum, squares);
  }

  /** {@code values} are the non-zero ones; the rest of the {@code count} values are 0. */
  static ExactStatistics ofValues(List<BigDecimal> values, long count) {
    BigDecimal sum = BigDecimal.ZERO;
    BigDecimal squares = BigDecimal.ZERO;
    for (BigDecimal x : values) {
      sum = sum.add(x);
      squares = squares.add(x.multiply(x));
    }
    return new ExactStatistics(count, sum, squares);
  }

  BigDecimal mean() {
    return sum.divide(BigDecimal.valueOf(count), EXACT);
  }

  /** Sum of squared deviations: sumOfSquares - sum^2 / n, exactly as n * sumOfSquares - sum^2 over n. */
  private BigDecimal squaredDeviations() {
    return BigDecimal.valueOf(count).multiply(sumOfSquares).subtract(sum.multiply(sum))
        .divide(BigDecimal.valueOf(count), EXACT);
  }

  BigDecimal var() {
    return squaredDeviations().divide(BigDecimal.valueOf(count), EXACT);
  }

  BigDecimal varUnbiased() {
    return squaredDeviations().divide(BigDecimal.valueOf(count - 1), EXACT);
  }

  /** Each of the file's mean, var and var_unbiased of this channel is the exact value correctly rounded. */
  void assertCorrectlyRounded(JsonNode file, int channel, String what) {
    assertRounded(mean(), file.path("mean").get(channel), what + " mean");
    assertRounded(var(), file.path("var").get(channel), what + " var");
    assertRounded(varUnbiased(), file.path("var_unbiased").get(channel), what + " var_unbiased");
  }

  /** The largest relative error of the channel's three statistics. */
  double worstRelativeError(JsonNode file, int channel) {
    return Math.max(relativeError(mean(), file.path("mean").get(channel)), Math.max(
        relativeError(var(), file.path("var").get(channel)),
        relativeError(varUnbiased(), file.path("var_unbiased").get(channel))));
  }

  private static double relativeError(BigDecimal exact, JsonNode got) {
    BigDecimal difference = new BigDecimal(got.asDouble()).subtract(exact).abs();
    return exact.signum() == 0 ? difference.doubleValue()
        : difference.divide(exact.abs(), MathContext.DECIMAL64).doubleValue();
  }

  /** No double is nearer to the exact value than the one in the file. */
  private static void assertRounded(BigDecimal exact, JsonNode got, String what) {
    assertTrue(got != null && got.isNumber(), what + ": not a number in the statistics file: " + got);
    double value = got.asDouble();
    BigDecimal error = new BigDecimal(value).subtract(exact).abs();
    for (double neighbour : new double[] {Math.nextUp(value), Math.nextDown(value)}) {
      assertTrue(error.compareTo(new BigDecimal(neighbour).subtract(exact).abs()) <= 0, () -> String.format(
          Locale.ROOT, "%s: %s is not the exact %s correctly rounded (%s is nearer)", what, value,
          exact.round(MathContext.DECIMAL128), neighbour));
    }
  }
}
