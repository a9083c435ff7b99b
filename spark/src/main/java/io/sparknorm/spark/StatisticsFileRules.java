package io.sparknorm.spark;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparknorm.core.NormalizationException;
import io.sparknorm.core.Shape;

/**
 * The rules of a statistics file's keys beyond being numbers, for {@link StatisticsFiles}: every key the file
 * states is checked, so that a value is never silently dropped nor applied when it cannot be right. Each failure
 * names the file (the {@code prefix}: "stats-in file X: "), the key and the rule.
 */
final class StatisticsFileRules {
  /** How far a written std may be from the square root of var: float32 arithmetic, not another statistic. */
  private static final double STD_TOLERANCE = 1e-6;

  private StatisticsFileRules() {}

  /** The {@code shape} of this object of the file, or null when it has none: sizes > 0, channels first. */
  static Shape shape(JsonNode node, String prefix) {
    JsonNode shape = node.get("shape");
    if (shape == null || shape.isNull()) {
      return null;
    }
    boolean valid = shape.isArray() && !shape.isEmpty();
    int[] dims = new int[valid ? shape.size() : 0];
    for (int i = 0; valid && i < dims.length; i++) {
      JsonNode size = shape.get(i);
      valid = size.isIntegralNumber() && size.canConvertToInt() && size.asInt() > 0;
      dims[i] = size.asInt();
    }
    if (!valid) {
      throw new IllegalArgumentException(prefix + "shape is " + shape + "; it must be an array of sizes > 0, channels"
          + " first");
    }
    try {
      return Shape.of(dims);
    } catch (NormalizationException e) {
      throw e.worded(prefix + e.getMessage());
    }
  }

  /** A count under {@code key} ({@code count}, {@code num_batches_tracked}), or null when absent: a whole number >= 0. */
  static Long wholeNumber(JsonNode node, String key, String prefix) {
    JsonNode value = node.get(key);
    if (value == null || value.isNull()) {
      return null;
    }
    if (value.isIntegralNumber() && value.canConvertToLong() && value.asLong() >= 0) {
      return value.asLong();
    }
    double number = value.asDouble();
    if (value.isFloatingPointNumber() && number >= 0 && number < 0x1p63 && number == Math.rint(number)) {
      return (long) number;
    }
    throw new IllegalArgumentException(prefix + key + " is " + value + "; it must be a whole number >= 0");
  }

  /** The file's eps, or null when it has none: a finite number >= 0. */
  static Double eps(JsonNode root, String prefix) {
    JsonNode eps = root.get("eps");
    if (eps == null || eps.isNull()) {
      return null;
    }
    if (!eps.isNumber() || !(eps.asDouble() >= 0) || Double.isInfinite(eps.asDouble())) {
      throw new IllegalArgumentException(prefix + "eps is " + eps + "; it must be a number >= 0");
    }
    return eps.asDouble();
  }

  /** {@code algorithm}, or null when absent: a string. */
  static String algorithm(JsonNode node, String prefix) {
    JsonNode algorithm = node.get("algorithm");
    if (algorithm == null || algorithm.isNull()) {
      return null;
    }
    if (!algorithm.isTextual()) {
      throw new IllegalArgumentException(prefix + "algorithm is " + algorithm + "; it must be a string");
    }
    return algorithm.asText();
  }

  /** An array of the file with one value per channel, or null when absent; finite, or NaN where allowed. */
  static double[] perChannel(JsonNode node, String key, String file, String what, int channels, boolean nanAllowed) {
    double[] values = JsonFiles.numbers(node, key, file, what, false, nanAllowed);
    if (values != null && values.length != channels) {
      throw new IllegalArgumentException(what + " " + file + ": " + key + " has " + values.length + " values, the shape"
          + " has " + channels + " channels");
    }
    return values;
  }

  /** Every value >= 0 (NaN passes here only where {@link JsonFiles#numbers} allowed it: unknown). */
  static void atLeastZero(double[] values, String key, String prefix) {
    for (int c = 0; c < values.length; c++) {
      if (values[c] < 0) {
        throw new IllegalArgumentException(prefix + key + "[" + c + "] is " + values[c] + ", must be >= 0"
            + (key.equals("var_unbiased") ? " (or NaN: unknown)" : ""));
      }
    }
  }

  /**
   * mean_residual is what rounding the true mean to the double {@code mean[c]} lost, so at most half an ulp of it;
   * anything larger is not a residual, and applied it would move every output.
   */
  static void meanResidual(double[] mean, double[] residual, String prefix) {
    for (int c = 0; c < mean.length; c++) {
      double bound = Math.ulp(mean[c]) / 2;
      if (!(Math.abs(residual[c]) <= bound)) {
        throw new IllegalArgumentException(prefix + "mean_residual[" + c + "] is " + residual[c] + ", more than half an"
            + " ulp of mean[" + c + "] = " + mean[c] + " (" + bound + "): it is what rounding the mean to a double lost");
      }
    }
  }

  /** std is written as the square root of var: one that is not says the file means other statistics than var. */
  static void std(double[] std, double[] variance, String prefix) {
    atLeastZero(std, "std", prefix);
    for (int c = 0; c < std.length; c++) {
      double root = Math.sqrt(variance[c]);
      if (Math.abs(std[c] - root) > STD_TOLERANCE * Math.max(std[c], root)) {
        throw new IllegalArgumentException(prefix + "std[" + c + "] is " + std[c] + " but var[" + c + "] is "
            + variance[c] + ": std must be the square root of var (the job normalizes with var)");
      }
    }
  }

  /**
   * PyTorch's {@code running_mean} and {@code running_var}: both or neither, one value per channel ({@code channels},
   * or null when the file has no other statistics), running_var >= 0.
   */
  static void running(double[] mean, double[] variance, Integer channels, String prefix) {
    if (mean == null && variance == null) {
      return;
    }
    if (mean == null || variance == null) {
      throw new IllegalArgumentException(prefix + (mean == null ? "running_var is given without running_mean"
          : "running_mean is given without running_var") + "; a replay starts from both");
    }
    if (mean.length != variance.length || mean.length == 0) {
      throw new IllegalArgumentException(prefix + "running_mean has " + mean.length + " values and running_var "
          + variance.length + "; they must have one value per channel");
    }
    if (channels != null && mean.length != channels) {
      throw new IllegalArgumentException(prefix + "running_mean has " + mean.length + " values, the shape has "
          + channels + " channels");
    }
    atLeastZero(variance, "running_var", prefix);
  }
}
