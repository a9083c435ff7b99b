package io.sparknorm.core;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;

/**
 * Reference arithmetic for the exact-statistics tests, independent of {@link ExactSum} and
 * {@link ExactMath}: exact sums as plain BigIntegers on a fixed grid, and the nearest double to a
 * rational found by exact comparison of neighbouring candidates.
 */
final class ExactReference {
  private ExactReference() {}

  /** Every double and every square of one is an integer times 2^-SCALE. */
  static final int SCALE = 2148;
  /** 2^SCALE. */
  static final BigInteger GRID_DEN = BigInteger.ONE.shiftLeft(SCALE);

  /** x * 2^SCALE, an exact integer, from the bits of x (checked against {@link #scaledSlowly}). */
  static BigInteger scaled(double x) {
    long bits = Double.doubleToRawLongBits(x);
    int e = (int) (bits >>> 52) & 0x7FF;
    long m = bits & 0x000F_FFFF_FFFF_FFFFL;
    if (e == 0) {
      e = 1;
    } else {
      m |= 1L << 52;
    }
    // x = m 2^(e - 1075)
    BigInteger v = BigInteger.valueOf(m).shiftLeft(e - 1075 + SCALE);
    return bits < 0 ? v.negate() : v;
  }

  /** x^2 * 2^SCALE, an exact integer. */
  static BigInteger scaledSquare(double x) {
    BigInteger v = scaled(x); // x 2^SCALE
    return v.multiply(v).shiftRight(SCALE); // exact: x^2 2^SCALE is an integer
  }

  /** {@link #scaled} through BigDecimal. */
  static BigInteger scaledSlowly(double x) {
    return new BigDecimal(x).multiply(new BigDecimal(BigInteger.ONE.shiftLeft(SCALE))).toBigIntegerExact();
  }

  /** {@link #scaledSquare} through BigDecimal. */
  static BigInteger scaledSquareSlowly(double x) {
    BigDecimal d = new BigDecimal(x);
    return d.multiply(d).multiply(new BigDecimal(BigInteger.ONE.shiftLeft(SCALE))).toBigIntegerExact();
  }

  /** Exact sums over one channel's values, on the grid. */
  static final class Sums {
    BigInteger sum = BigInteger.ZERO;
    BigInteger squares = BigInteger.ZERO;
    long n;

    void add(double x) {
      sum = sum.add(scaled(x));
      squares = squares.add(scaledSquare(x));
      n++;
    }

    /** {mean, meanResidual, var, varUnbiased}, each the nearest double to the exact value. */
    double[] statistics() {
      BigInteger big = BigInteger.valueOf(n);
      BigInteger gridDen = BigInteger.ONE.shiftLeft(SCALE);
      // mean = sum / (n 2^SCALE)
      BigInteger meanDen = big.shiftLeft(SCALE);
      double mean = nearest(sum, meanDen);
      // residual = sum / (n 2^SCALE) - mean = (sum - n mean 2^SCALE) / (n 2^SCALE)
      BigInteger residualNum = sum.subtract(big.multiply(scaled(mean)));
      double residual = nearest(residualNum, meanDen);
      // var = (n Q - S^2) / n^2 with S = sum / 2^SCALE, Q = squares / 2^SCALE:
      //     = (n squares 2^SCALE - sum^2) / (n^2 2^(2 SCALE))
      BigInteger spread = big.multiply(squares).multiply(gridDen).subtract(sum.multiply(sum));
      double var = nearest(spread, big.multiply(big).shiftLeft(2 * SCALE));
      double unbiased = nearest(spread, big.multiply(BigInteger.valueOf(n - 1)).shiftLeft(2 * SCALE));
      return new double[] {mean, residual, var, unbiased};
    }

    /** The standard deviation, the nearest double to the root of the exact variance. */
    double std() {
      BigInteger big = BigInteger.valueOf(n);
      BigInteger spread = big.multiply(squares).shiftLeft(SCALE).subtract(sum.multiply(sum));
      return nearestSqrt(spread, big.multiply(big).shiftLeft(2 * SCALE));
    }
  }

  /** The exact value of a finite double as a fraction num / 2^1100 (num = x 2^1100, an integer). */
  private static BigInteger times2to1100(double x) {
    return new BigDecimal(x).multiply(new BigDecimal(BigInteger.ONE.shiftLeft(1100))).toBigIntegerExact();
  }

  private static final BigDecimal OVERFLOW =
      new BigDecimal(BigInteger.ONE.shiftLeft(1024).subtract(BigInteger.ONE.shiftLeft(970)));

  /**
   * The double nearest to num / den (den > 0), ties to the even neighbour, +-Infinity from
   * 2^1024 - 2^970 on (IEEE's overflow threshold), by exact comparison with the neighbours of an
   * approximation.
   */
  static double nearest(BigInteger num, BigInteger den) {
    if (den.signum() <= 0) {
      throw new IllegalArgumentException("den " + den);
    }
    if (num.signum() == 0) {
      return 0.0;
    }
    BigDecimal approximate = new BigDecimal(num).divide(new BigDecimal(den), new MathContext(60));
    if (approximate.abs().compareTo(OVERFLOW) >= 0) {
      // Confirm exactly: |num| >= OVERFLOW * den.
      if (new BigDecimal(num.abs()).compareTo(OVERFLOW.multiply(new BigDecimal(den))) >= 0) {
        return num.signum() > 0 ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
      }
    }
    double guess = approximate.doubleValue();
    if (Double.isInfinite(guess)) {
      guess = Math.copySign(Double.MAX_VALUE, guess);
    }
    // Walk to the best candidate among the neighbours; the error is |num 2^1100 - c 2^1100 den|.
    BigInteger target = num.shiftLeft(1100);
    double best = guess;
    BigInteger bestError = error(target, den, guess);
    boolean moved = true;
    while (moved) {
      moved = false;
      for (double c : new double[] {Math.nextDown(best), Math.nextUp(best)}) {
        if (Double.isInfinite(c)) {
          continue;
        }
        BigInteger e = error(target, den, c);
        int cmp = e.compareTo(bestError);
        if (cmp < 0 || (cmp == 0 && (Double.doubleToRawLongBits(c) & 1) == 0 && (Double.doubleToRawLongBits(best) & 1) != 0)) {
          best = c;
          bestError = e;
          moved = cmp < 0;
        }
      }
    }
    if (best == 0) {
      return num.signum() > 0 ? 0.0 : -0.0;
    }
    return best;
  }

  private static BigInteger error(BigInteger target, BigInteger den, double c) {
    return target.subtract(times2to1100(c).multiply(den)).abs();
  }

  /**
   * The double nearest to sqrt(num / den) (num >= 0, den > 0), ties to the even neighbour: the one
   * x with ((x- + x) / 2)^2 <= num / den <= ((x + x+) / 2)^2, its neighbours' midpoints squared,
   * compared exactly.
   */
  static double nearestSqrt(BigInteger num, BigInteger den) {
    if (num.signum() < 0 || den.signum() <= 0) {
      throw new IllegalArgumentException(num + " / " + den);
    }
    BigDecimal ratio = new BigDecimal(num).divide(new BigDecimal(den), new MathContext(80));
    double x = ratio.sqrt(new MathContext(40)).doubleValue();
    BigDecimal n = new BigDecimal(num);
    BigDecimal d = new BigDecimal(den);
    while (true) {
      if (x > 0) {
        BigDecimal low = new BigDecimal(x).add(new BigDecimal(Math.nextDown(x))).divide(BigDecimal.valueOf(2));
        int cmp = n.compareTo(low.pow(2).multiply(d));
        if (cmp < 0 || (cmp == 0 && odd(x))) {
          x = Math.nextDown(x);
          continue;
        }
      }
      BigDecimal high = new BigDecimal(x).add(new BigDecimal(Math.nextUp(x))).divide(BigDecimal.valueOf(2));
      int cmp = n.compareTo(high.pow(2).multiply(d));
      if (cmp > 0 || (cmp == 0 && odd(x))) {
        x = Math.nextUp(x);
        continue;
      }
      return x;
    }
  }

  private static boolean odd(double x) {
    return (Double.doubleToRawLongBits(x) & 1) != 0;
  }
}
