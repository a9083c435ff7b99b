package io.sparknorm.core;

import java.math.BigInteger;

/** Correct rounding of exact rationals to double. */
final class ExactMath {
  private ExactMath() {}

  private static final long INFINITY_BITS = 0x7FF0_0000_0000_0000L;

  /**
   * The double nearest to {@code num * 2^exp2 / den} (ties to even; beyond the double range,
   * infinite; a non-zero value that rounds to zero keeps its sign), for den > 0.
   */
  static double toDouble(BigInteger num, int exp2, BigInteger den) {
    int sign = num.signum();
    if (sign == 0) {
      return 0.0;
    }
    if (den.signum() <= 0) {
      throw new IllegalArgumentException("denominator " + den + " must be positive");
    }
    BigInteger a = num.abs();
    // q = a * 2^exp2 / den lies in (2^(k-1), 2^(k+1)).
    long k = (long) a.bitLength() + exp2 - den.bitLength();
    if (k > 1100) {
      return sign > 0 ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
    }
    if (k < -1100) {
      return sign > 0 ? 0.0 : -0.0;
    }
    // z = floor(q / 2^u) has 56 or 57 bits; the remainder tells whether q is above z * 2^u.
    int u = (int) k - 56;
    int s = exp2 - u;
    BigInteger[] quotient = s >= 0 ? a.shiftLeft(s).divideAndRemainder(den)
        : a.divideAndRemainder(den.shiftLeft(-s));
    long z = quotient[0].longValueExact();
    boolean sticky = quotient[1].signum() != 0;
    int bits = 64 - Long.numberOfLeadingZeros(z);
    // The result's last place: 52 below its leading bit, but never below the subnormals' 2^-1074.
    int ulp = Math.max(bits - 1 + u - 52, -1074);
    int drop = ulp - u; // >= 3
    long m;
    if (drop >= 63) {
      m = 0; // q < 2^57 * 2^u <= a quarter of the last place: rounds to zero
    } else {
      m = z >>> drop;
      long rest = z & ((1L << drop) - 1);
      long half = 1L << (drop - 1);
      if (rest > half || (rest == half && (sticky || (m & 1) != 0))) {
        m++;
      }
    }
    long result;
    if (ulp > 971) {
      result = INFINITY_BITS;
    } else {
      // m in [2^52, 2^53] for normal results, below 2^52 for subnormals: the exponent field is
      // ulp + 1075 for m >= 2^52, and a carry to 2^53 moves into it (up to infinity) by itself.
      result = ((long) (ulp + 1074) << 52) + m;
      if (result > INFINITY_BITS) {
        result = INFINITY_BITS;
      }
    }
    return Double.longBitsToDouble(sign > 0 ? result : result | Long.MIN_VALUE);
  }

  /** The double x as {integer, power of two}: x = integer * 2^exponent[0]; x finite. */
  static BigInteger exact(double x, int[] exponent) {
    long bits = Double.doubleToRawLongBits(x);
    int e = (int) (bits >>> 52) & 0x7FF;
    long m = bits & 0x000F_FFFF_FFFF_FFFFL;
    if (e == 0) {
      exponent[0] = -1074;
    } else {
      m |= 1L << 52;
      exponent[0] = e - 1075;
    }
    return BigInteger.valueOf(bits < 0 ? -m : m);
  }
}
