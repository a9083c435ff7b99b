package io.sparknorm.core;

import io.sparknorm.core.ArgumentException.Argument;
import io.sparknorm.core.NormalizationException.Rule;
import java.io.Serializable;
import java.util.Arrays;

/**
 * The optional affine transform after normalization: {@code y * weight + bias}. Either part may be
 * missing, meaning 1 and 0. Its length is checked by the method that uses it: the channel count C
 * for batch, instance and group norm, the whole sample size for layer norm.
 */
public final class Affine implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Affine NONE = new Affine(null, null);

  private final double[] weight;
  private final double[] bias;

  private Affine(double[] weight, double[] bias) {
    this.weight = weight == null ? null : weight.clone();
    this.bias = bias == null ? null : bias.clone();
  }

  /** No affine transform: weight 1, bias 0. */
  public static Affine none() {
    return NONE;
  }

  /**
   * @param weight the scale, or null for 1
   * @param bias the shift, or null for 0
   * @throws ArgumentException when a value is NaN or infinite, or the lengths differ
   */
  public static Affine of(double[] weight, double[] bias) {
    checkFinite("weight", weight);
    checkFinite("bias", bias);
    if (weight != null && bias != null && weight.length != bias.length) {
      throw new ArgumentException(Rule.AFFINE, Argument.WEIGHT, Integer.toString(weight.length), -1,
          "affine weight has " + weight.length + " values but bias has " + bias.length + "; they must have the same length");
    }
    return new Affine(weight, bias);
  }

  private static void checkFinite(String name, double[] values) {
    if (values == null) {
      return;
    }
    for (int i = 0; i < values.length; i++) {
      if (!Double.isFinite(values[i])) {
        throw new ArgumentException(Rule.AFFINE, name.equals("bias") ? Argument.BIAS : Argument.WEIGHT,
            Double.toString(values[i]), i, "affine " + name + "[" + i + "] is " + values[i] + ", must be finite");
      }
    }
  }

  public boolean hasWeight() {
    return weight != null;
  }

  public boolean hasBias() {
    return bias != null;
  }

  /**
   * Checks the lengths against what a method needs.
   *
   * @param expected the length the method needs
   * @param what how the method counts, for the message, such as "one per channel (C = 3) for batch norm"
   */
  void checkLength(int expected, String what) {
    if (weight != null && weight.length != expected) {
      throw new ArgumentException(Rule.AFFINE, Argument.WEIGHT, Integer.toString(weight.length), -1,
          "affine weight has " + weight.length + " values, expected " + expected + ": " + what);
    }
    if (bias != null && bias.length != expected) {
      throw new ArgumentException(Rule.AFFINE, Argument.BIAS, Integer.toString(bias.length), -1,
          "affine bias has " + bias.length + " values, expected " + expected + ": " + what);
    }
  }

  /** The weight, or {@code length} ones when missing. */
  public double[] weightOrOnes(int length) {
    if (weight != null) {
      return weight.clone();
    }
    double[] ones = new double[length];
    Arrays.fill(ones, 1.0);
    return ones;
  }

  /** The bias, or {@code length} zeros when missing. */
  public double[] biasOrZeros(int length) {
    return bias != null ? bias.clone() : new double[length];
  }
}
