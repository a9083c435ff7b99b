package io.sparknorm.sql;

import io.sparknorm.core.NormalizationException.Rule;
import io.sparknorm.core.TensorValueException;

/** Tensors as JSON array text in a string, the form CSV holds them in (CSV has no arrays). */
final class JsonArrayText {
  private JsonArrayText() {}

  /**
   * Parses JSON array text of numbers, as the job writes tensors to CSV: {@code [0.5,-1.25,3]}.
   *
   * @throws TensorValueException naming the text when it is anything else
   */
  static double[] parse(String text) {
    String body = text.strip();
    if (body.length() < 2 || body.charAt(0) != '[' || body.charAt(body.length() - 1) != ']') {
      throw new TensorValueException(Rule.NOT_AN_ARRAY, shortened(text), -1, "value " + quote(text)
          + " is not a JSON array of numbers");
    }
    body = body.substring(1, body.length() - 1).strip();
    if (body.isEmpty()) {
      return new double[0];
    }
    String[] parts = body.split(",", -1);
    double[] values = new double[parts.length];
    for (int i = 0; i < parts.length; i++) {
      String part = parts[i].strip();
      try {
        if (part.isEmpty() || !(Character.isDigit(part.charAt(part.length() - 1)) || part.equals("NaN")
            || part.endsWith("Infinity"))) {
          throw new NumberFormatException();
        }
        values[i] = Double.parseDouble(part);
      } catch (NumberFormatException e) {
        if (part.equals("null")) {
          throw new TensorValueException(Rule.NULL_VALUE, null, i, "null value at index " + i);
        }
        throw new TensorValueException(Rule.NOT_AN_ARRAY, shortened(text), i, "value " + quote(text)
            + " is not a JSON array of numbers (element " + i + " is " + quote(part) + ")");
      }
    }
    return values;
  }

  private static String quote(String text) {
    return "'" + shortened(text) + "'";
  }

  private static String shortened(String text) {
    return text.length() > 60 ? text.substring(0, 57) + "..." : text;
  }
}
