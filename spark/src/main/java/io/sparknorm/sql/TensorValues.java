package io.sparknorm.sql;

import io.sparknorm.core.NormalizationException.Rule;
import io.sparknorm.core.Shape;
import io.sparknorm.core.TensorValueException;

/**
 * A tensor as {@link TensorReader#read} returns it (a {@code double[]}, {@code float[]} or
 * {@code long[]}) and the contract's validity rules on it: the length the shape needs, at least
 * one value, every value finite. A rule broken is a {@link TensorValueException} returned, not
 * thrown: the callers fail the query, return NULL or report the row, as their mode says.
 */
final class TensorValues {
  private TensorValues() {}

  /** The rule a null tensor breaks. */
  static TensorValueException nullTensor() {
    return new TensorValueException(Rule.NULL_TENSOR, null, -1, "the tensor is null");
  }

  /**
   * What is wrong with a tensor read by {@link TensorReader#read}, or null when it is valid: its
   * length is not the shape's (any non-empty length when {@code shape} is null), or a value is NaN
   * or infinite.
   */
  static TensorValueException problem(Object values, Shape shape) {
    int length = length(values);
    TensorValueException wrongLength = shape == null ? null : shape.lengthProblem(length);
    if (wrongLength != null) {
      return wrongLength;
    }
    if (length == 0) {
      return new TensorValueException(Rule.EMPTY, "0", -1, "the tensor is empty");
    }
    if (values instanceof double[] d) {
      int i = firstNonFinite(d);
      return i < 0 ? null : notFinite(Double.toString(d[i]), i);
    }
    if (values instanceof float[] f) {
      int i = firstNonFinite(f);
      return i < 0 ? null : notFinite(Float.toString(f[i]), i);
    }
    return null; // integers are finite
  }

  private static TensorValueException notFinite(String value, int index) {
    return new TensorValueException(Rule.NOT_FINITE, value, index, "value " + value + " at index " + index
        + " is not finite");
  }

  /** The number of values of a tensor. */
  static int length(Object values) {
    return values instanceof double[] d ? d.length : values instanceof float[] f ? f.length : ((long[]) values).length;
  }

  /** The index of the first value that is NaN or infinite, or -1: the rule of {@link #problem} on values. */
  static int firstNonFinite(double[] values) {
    for (int i = 0; i < values.length; i++) {
      if (!Double.isFinite(values[i])) {
        return i;
      }
    }
    return -1;
  }

  /** {@link #firstNonFinite(double[])} for floats. */
  static int firstNonFinite(float[] values) {
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        return i;
      }
    }
    return -1;
  }

  /** A tensor as doubles: itself, or each value converted (a long beyond 2^53 rounded). */
  static double[] toDoubles(Object values) {
    if (values instanceof double[] d) {
      return d;
    }
    double[] d = new double[length(values)];
    if (values instanceof float[] f) {
      for (int i = 0; i < f.length; i++) {
        d[i] = f[i];
      }
    } else {
      long[] l = (long[]) values;
      for (int i = 0; i < l.length; i++) {
        d[i] = l[i];
      }
    }
    return d;
  }
}
