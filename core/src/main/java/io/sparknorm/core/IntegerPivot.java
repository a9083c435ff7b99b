package io.sparknorm.core;

/**
 * Integer samples relative to an integer pivot: the normalizers take each value less an integer
 * near its segment's or channel's mean, in exact integer arithmetic, so longs beyond 2^53 (which no
 * double holds) keep their digits, and compute the rest in double.
 */
final class IntegerPivot {
  private IntegerPivot() {}

  /**
   * x - pivot as the nearest double: exact integer subtraction (one rounding of the difference),
   * or, where the difference leaves the long range, the difference of the two doubles (each value
   * then rounds by less than 2^-53 of the difference).
   */
  static double difference(long x, long pivot) {
    long d = x - pivot;
    if (((x ^ pivot) & (x ^ d)) < 0) {
      return (double) x - (double) pivot;
    }
    return d;
  }
}
