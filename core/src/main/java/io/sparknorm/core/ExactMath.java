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
    return round(quotient[0].longValueExact(), quotient[1].signum() != 0, u, sign);
  }

  /**
   * The double nearest to the square root of {@code num * 2^exp2 / den} (ties to even; below the
   * subnormals, zero), for num >= 0 and den > 0: the root is rounded once, where Math.sqrt of the
   * rounded rational would round twice and can miss by one ulp.
   */
  static double sqrtToDouble(BigInteger num, int exp2, BigInteger den) {
    if (num.signum() < 0 || den.signum() <= 0) {
      throw new IllegalArgumentException("sqrt of " + num + " * 2^" + exp2 + " / " + den + ": need num >= 0, den > 0");
    }
    if (num.signum() == 0) {
      return 0.0;
    }
    // q = num * 2^exp2 / den lies in (2^(k-1), 2^(k+1)); q * 2^(2t) in (2^119, 2^122), so its integer
    // root z = floor(sqrt(q) * 2^t) has 60 or 61 bits.
    long k = (long) num.bitLength() + exp2 - den.bitLength();
    if (k > 2200) {
      return Double.POSITIVE_INFINITY;
    }
    if (k < -2300) {
      return 0.0; // sqrt(q) < 2^-1150
    }
    int t = (int) Math.floorDiv(121 - k, 2);
    int s = exp2 + 2 * t;
    BigInteger[] quotient = s >= 0 ? num.shiftLeft(s).divideAndRemainder(den)
        : num.divideAndRemainder(den.shiftLeft(-s));
    // floor(sqrt(floor(x))) = floor(sqrt(x)); sqrt(x) is a whole number only for a whole square x.
    BigInteger[] root = quotient[0].sqrtAndRemainder();
    boolean sticky = quotient[1].signum() != 0 || root[1].signum() != 0;
    return round(root[0].longValueExact(), sticky, -t, 1);
  }

  /**
   * The double nearest to (z + f) * 2^u, 0 <= f < 1 (f > 0 exactly when sticky), for z of 54 to 62
   * bits, with the given sign.
   */
  private static double round(long z, boolean sticky, int u, int sign) {
    int bits = 64 - Long.numberOfLeadingZeros(z);
    // The result's last place: 52 below its leading bit, but never below the subnormals' 2^-1074.
    int ulp = Math.max(bits - 1 + u - 52, -1074);
    int drop = ulp - u; // >= 1
    long m;
    if (drop >= 63) {
      m = 0; // below a quarter of the last place: rounds to zero
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
