package io.sparknorm.core;

import java.io.Serializable;
import java.util.Arrays;

/**
 * The shape of one sample, channels first: {@code (C, D1, D2, ...)}. A sample is stored flat in
 * that (row-major) order, so channel {@code c} occupies {@code [c * S, (c + 1) * S)} where
 * {@code S} is the spatial size, the product of the spatial dimensions (1 for tabular data).
 */
public final class Shape implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int[] dims;
  private final int spatialSize;
  private final int size;

  private Shape(int[] dims) {
    if (dims.length == 0) {
      throw invalid(null, -1, "shape: needs at least the channel count C, got an empty shape");
    }
    long product = 1;
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] <= 0) {
        throw invalid(Integer.toString(dims[i]), i,
            "shape " + format(dims) + ": dimension " + i + " is " + dims[i] + ", every dimension must be positive");
      }
      product *= dims[i];
      if (product > Integer.MAX_VALUE - 8) {
        throw invalid(Integer.toString(dims[i]), i,
            "shape " + format(dims) + ": a sample of more than " + (Integer.MAX_VALUE - 8) + " elements does not fit in one array");
      }
    }
    this.dims = dims.clone();
    this.size = (int) product;
    this.spatialSize = size / dims[0];
  }

  /** A shape from its dimensions, channels first. */
  public static Shape of(int... dims) {
    return new Shape(dims);
  }

  /**
   * Parses a shape written as comma-separated positive integers, channels first, such as
   * {@code 3,32,32}; spaces and surrounding parentheses or brackets are allowed.
   */
  public static Shape parse(String text) {
    if (text == null) {
      throw invalid(null, -1, "shape: missing");
    }
    String body = text.strip();
    if (body.length() >= 2
        && ((body.startsWith("(") && body.endsWith(")")) || (body.startsWith("[") && body.endsWith("]")))) {
      body = body.substring(1, body.length() - 1);
    }
    if (body.isBlank()) {
      throw invalid(text, -1, "shape '" + text + "': needs at least the channel count C, such as 3 or 3,32,32");
    }
    String[] parts = body.split(",", -1);
    int[] dims = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      String part = parts[i].strip();
      try {
        dims[i] = Integer.parseInt(part);
      } catch (NumberFormatException e) {
        throw invalid(part, i,
            "shape '" + text + "': '" + part + "' is not a whole number; write the dimensions channels first, such as 3,32,32");
      }
    }
    return new Shape(dims);
  }

  /** The channel count C. */
  public int channels() {
    return dims[0];
  }

  /** S: the product of the spatial dimensions, 1 when the shape is just (C,). */
  public int spatialSize() {
    return spatialSize;
  }

  /** The number of elements of one sample: C x S. */
  public int size() {
    return size;
  }

  /** The number of dimensions, the channel dimension included. */
  public int rank() {
    return dims.length;
  }

  /** A copy of the dimensions. */
  public int[] dims() {
    return dims.clone();
  }

  /**
   * Checks that a flat sample has this shape's size.
   *
   * @throws TensorValueException naming both lengths otherwise
   */
  public void checkLength(int length) {
    TensorValueException problem = lengthProblem(length);
    if (problem != null) {
      throw problem;
    }
  }

  /** The rule a flat sample of this length breaks ({@link NormalizationException.Rule#LENGTH}), or null. */
  public TensorValueException lengthProblem(int length) {
    return length == size ? null : new TensorValueException(NormalizationException.Rule.LENGTH,
        Integer.toString(length), -1, "tensor of length " + length + " does not match shape " + this + " (" + size
        + " elements)");
  }

  private static ArgumentException invalid(String value, int dimension, String reason) {
    return new ArgumentException(NormalizationException.Rule.SHAPE, ArgumentException.Argument.SHAPE, value,
        dimension, reason);
  }

  private static String format(int[] dims) {
    StringBuilder b = new StringBuilder("(");
    for (int i = 0; i < dims.length; i++) {
      if (i > 0) {
        b.append(',');
      }
      b.append(dims[i]);
    }
    return b.append(dims.length == 1 ? ",)" : ")").toString();
  }

  /** PyTorch's notation: {@code (3,)}, {@code (3,32,32)}. */
  @Override
  public String toString() {
    return format(dims);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Shape && Arrays.equals(dims, ((Shape) o).dims);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(dims);
  }
}
