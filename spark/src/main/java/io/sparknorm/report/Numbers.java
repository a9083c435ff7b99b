package io.sparknorm.report;

import java.util.Locale;

/** Numbers as a person reads them: four significant digits, the full value kept for a hover title. */
final class Numbers {
  private Numbers() {}

  /**
   * Four significant digits without trailing zeros: 0.123456789 as "0.1235", 22.5957 as "22.6", 16.0 as "16",
   * 1234567.0 as "1.235e6", 1e-5 as "1e-5"; whole numbers below 1e6 in full ("12345"); NaN, "∞" and "-∞" as such.
   */
  static String short4(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "\u221e" : "-\u221e";
    }
    if (v == 0) {
      return "0";
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e6) {
      return Long.toString((long) v);
    }
    String s = String.format(Locale.ROOT, "%.4g", v);
    int e = s.indexOf('e');
    String mantissa = e < 0 ? s : s.substring(0, e);
    if (mantissa.contains(".")) {
      mantissa = mantissa.replaceFirst("0+$", "").replaceFirst("\\.$", "");
    }
    if (e < 0) {
      return mantissa;
    }
    int exponent = Integer.parseInt(s.substring(e + 1));
    return mantissa + "e" + exponent;
  }

  /** The full value, as the statistics file has it. */
  static String full(double v) {
    return Double.toString(v);
  }

  /** A share as a percentage with up to 4 significant digits: 0.0123 as "1.23%". */
  static String percent(double share) {
    return Double.isFinite(share) ? short4(share * 100) + "%" : short4(share);
  }
}
