package io.sparknorm.core;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.io.Serializable;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;

/**
 * The exact sum of doubles and of their exact squares: a superaccumulator. Nothing is ever rounded,
 * so the sum is the same whatever order the values come in and however the work is split and
 * merged; {@link #toDouble()} then rounds once, correctly.
 *
 * <h2>Representation</h2>
 *
 * <p>Every double and every exact square of one is an integer times a power of two between
 * 2<sup>-2148</sup> (the last bit of the square of the smallest subnormal) and 2<sup>2047</sup>.
 * The sum is held as a two's-complement fixed-point number on that grid, in digits of 32 bits:
 * digit {@code k} weighs 2<sup>32k - 2150</sup>. Only a window of digits around the exponents
 * actually seen is stored, and it grows when a value falls outside it: the sum of 100,000 values of
 * 1e8 + noise takes 3 longs and the sum of their squares 5; of N(0, 1) values, 3 and 6 (fed through
 * {@link ExactMoments}' buckets, a digit or so more); the whole range of doubles would take about 70
 * (135 for squares).
 *
 * <p>Each digit is kept in a long, so carries can wait: adding a value adds its 53-bit mantissa,
 * shifted to its place, as two pieces (the low 32 bits into one digit, the rest, at most 2<sup>52</sup>,
 * into the next; a square's 106 bits as four pieces of at most 2<sup>41</sup>). A long absorbs
 * {@value #ADDS_BEFORE_NORMALIZE} such pieces before it could overflow; then a normalization
 * carries every digit into [0, 2<sup>32</sup>) (the top digit signed). So an add is a few shifts,
 * masks and two to four integer additions: no allocation (once the window covers the value), no
 * branch on the data but a range check. ({@link ExactMoments} puts a cheaper staging step in front
 * of it.)
 *
 * <h2>Non-finite values</h2>
 *
 * <p>NaN and infinities are not summed; the accumulator records which of NaN, +Infinity and
 * -Infinity it has seen ({@link #hasNaN()}, ...). {@link #toDouble()} then returns what IEEE
 * summation would (NaN for NaN or both infinities, else the infinity), and {@link #toBigDecimal()}
 * throws {@link ArithmeticException}.
 *
 * <p>Not thread-safe. {@link #add(double)} and {@link #addSquare(double)} with non-zero finite
 * values never allocate once the window covers their exponents.
 */
public final class ExactSum implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The weight of digit k is 2^(32k - GRID_BIAS); the grid starts at 2^-2150 below every square. */
  static final int GRID_BIAS = 2150;
  /**
   * Digits the grid can ever need: squares up to 2^2048 times up to 2^63 values, 2^2111, digit
   * (2111 + 2150) / 32 = 133; one more for the sign.
   */
  static final int MAX_DIGITS = 135;

  /**
   * Pieces of at most 2^52 a digit takes between normalizations: a normalized digit is below
   * 2^32 in magnitude, so 1024 pieces leave it below 2^32 + 2^62 < 2^63.
   */
  static final int ADDS_BEFORE_NORMALIZE = 1024;

  static final long MASK32 = 0xFFFF_FFFFL;
  static final long FRACTION = 0x000F_FFFF_FFFF_FFFFL;
  static final long HIDDEN = 0x0010_0000_0000_0000L;
  /** Grid position of the last bit of a normal double with biased exponent e: e + VALUE_POSITION. */
  static final int VALUE_POSITION = GRID_BIAS - 1075;
  /** Grid position of the last bit of the exact square of such a double: 2 e + SQUARE_POSITION. */
  static final int SQUARE_POSITION = GRID_BIAS - 2150;

  private static final int SEEN_NAN = 1;
  private static final int SEEN_POSITIVE_INFINITY = 2;
  private static final int SEEN_NEGATIVE_INFINITY = 4;

  private static final long[] NO_DIGITS = new long[0];

  /** The window: digits[j] is digit base + j, not normalized between normalizations. */
  private long[] digits = NO_DIGITS;
  private int base;
  /** Adds since the last normalization. */
  private int pending;
  /** SEEN_* bits. */
  private int nonFinite;

  /** An empty sum: zero. */
  public ExactSum() {}

  /** An independent copy. */
  public ExactSum copy() {
    ExactSum copy = new ExactSum();
    copy.digits = digits.clone();
    copy.base = base;
    copy.pending = pending;
    copy.nonFinite = nonFinite;
    return copy;
  }

  /** Adds x exactly. */
  public ExactSum add(double x) {
    addValue(x);
    if (++pending >= ADDS_BEFORE_NORMALIZE) {
      normalize();
    }
    return this;
  }

  /** Adds x * x exactly, for every finite x (also where x * x overflows or underflows a double). */
  public ExactSum addSquare(double x) {
    addSquareOfValue(x);
    if (++pending >= ADDS_BEFORE_NORMALIZE) {
      normalize();
    }
    return this;
  }

  /** Adds the integer v exactly (every long, also beyond 2^53 where a double would round it). */
  public ExactSum addInteger(long v) {
    addScaled(v, GRID_BIAS);
    return this;
  }

  /** Adds v * v exactly, for every long v (the square has up to 126 bits). */
  public ExactSum addSquareOfInteger(long v) {
    if (v == Long.MIN_VALUE) {
      addScaled(1, GRID_BIAS + 126);
      return this;
    }
    long m = Math.abs(v);
    long high = Math.multiplyHigh(m, m); // m < 2^63: below 2^62
    long low = m * m;
    // m^2 = a * 2^63 + b, both non-negative longs.
    addScaled(low & Long.MAX_VALUE, GRID_BIAS);
    addScaled((high << 1) | (low >>> 63), GRID_BIAS + 63);
    return this;
  }

  /**
   * Adds v * 2^(position - GRID_BIAS) exactly, for any long v and a position with that value on
   * the grid (position >= 0, and at most 4200 for what a double's square can reach): three pieces
   * of at most 2^32.
   */
  void addScaled(long v, int position) {
    if (v == 0) {
      return;
    }
    int shift = position & 31;
    int i = (position >>> 5) - base;
    long[] d = digits;
    if (i < 0 || i > d.length - 3) {
      d = grow(position >>> 5, (position >>> 5) + 2);
      i = (position >>> 5) - base;
    }
    // v * 2^shift = high * 2^64 + low (low unsigned); |high| < 2^31.
    long low = v << shift;
    long high = (v >> 1) >> (63 - shift);
    d[i] += low & MASK32;
    d[i + 1] += low >>> 32;
    d[i + 2] += high;
    if (++pending >= ADDS_BEFORE_NORMALIZE) {
      normalize();
    }
  }

  /**
   * Adds v * 2^exponent exactly, for an exponent at or above the grid's last bit (-2150, below the
   * square of every double), in pieces of 31 bits.
   */
  void addExact(BigInteger v, int exponent) {
    if (exponent + GRID_BIAS < 0) {
      throw new IllegalArgumentException("exact sum: 2^" + exponent + " is below the grid");
    }
    BigInteger magnitude = v.abs();
    long sign = v.signum();
    for (int at = 0; at < magnitude.bitLength(); at += 31) {
      long piece = magnitude.shiftRight(at).longValue() & 0x7FFF_FFFFL;
      addScaled(sign * piece, exponent + GRID_BIAS + at);
    }
  }

  /** Adds x; the caller counts the add towards normalization. */
  private void addValue(double x) {
    long bits = Double.doubleToRawLongBits(x);
    int e = (int) (bits >>> 52) & 0x7FF;
    if (((e + 1) & 0x7FF) <= 1) { // e == 0: zero or subnormal; 0x7FF: NaN or infinity
      addSpecial(bits, e);
      return;
    }
    addNormal(bits, e);
  }

  /**
   * Adds a normal x (biased exponent e in [1, 2046]) given as its bits: the mantissa m (53
   * bits, signed) times 2^(e - 1075), that is at grid position e + 1075.
   */
  private void addNormal(long bits, int e) {
    long sign = bits >> 63;
    long m = ((bits & FRACTION) | HIDDEN);
    addMantissa((m ^ sign) - sign, e + VALUE_POSITION);
  }

  /** Adds v * 2^(position - GRID_BIAS) for a signed |v| < 2^53: two pieces. */
  private void addMantissa(long v, int position) {
    int shift = position & 31;
    int i = (position >>> 5) - base;
    long[] d = digits;
    if (i < 0 || i > d.length - 2) {
      d = grow(position >>> 5, (position >>> 5) + 1);
      i = (position >>> 5) - base;
    }
    // v * 2^shift = (v >> (32 - shift)) * 2^32 + ((v << shift) mod 2^32), exactly (floor division).
    d[i] += (v << shift) & MASK32;
    d[i + 1] += v >> (32 - shift);
  }

  /** Adds x * x; the caller counts the add towards normalization. */
  private void addSquareOfValue(double x) {
    long bits = Double.doubleToRawLongBits(x);
    int e = (int) (bits >>> 52) & 0x7FF;
    if (e == 0) {
      long m = bits & FRACTION;
      if (m != 0) {
        addSquareOfMantissa(m, 1);
      }
      return;
    }
    if (e == 0x7FF) {
      nonFinite |= (bits & FRACTION) != 0 ? SEEN_NAN : SEEN_POSITIVE_INFINITY;
      return;
    }
    addSquareOfMantissa((bits & FRACTION) | HIDDEN, e);
  }

  /**
   * Adds m^2 * 2^(2e - 2150) for 0 < m < 2^53 (x = m * 2^(e - 1075)): the 106-bit square at grid
   * position 2e, in four pieces of at most 41 bits.
   */
  private void addSquareOfMantissa(long m, int e) {
    long high = Math.multiplyHigh(m, m); // < 2^42
    long low = m * m;
    int position = 2 * e + SQUARE_POSITION;
    int shift = position & 31;
    int i = (position >>> 5) - base;
    long[] d = digits;
    if (i < 0 || i > d.length - 4) {
      d = grow(position >>> 5, (position >>> 5) + 3);
      i = (position >>> 5) - base;
    }
    // (high:low) << shift, up to 137 bits: w0 bits 0..63, w1 bits 64..127, w2 bits 128..136.
    long w0 = low << shift;
    long w1 = (high << shift) | ((low >>> 1) >>> (63 - shift));
    long w2 = (high >>> 1) >>> (63 - shift);
    d[i] += w0 & MASK32;
    d[i + 1] += w0 >>> 32;
    d[i + 2] += w1 & MASK32;
    d[i + 3] += (w1 >>> 32) | (w2 << 32);
  }

  /** Zero, subnormals and non-finite values. */
  private void addSpecial(long bits, int e) {
    if (e == 0x7FF) {
      if ((bits & FRACTION) != 0) {
        nonFinite |= SEEN_NAN;
      } else {
        nonFinite |= bits < 0 ? SEEN_NEGATIVE_INFINITY : SEEN_POSITIVE_INFINITY;
      }
      return;
    }
    long m = bits & FRACTION;
    if (m == 0) {
      return; // +-0
    }
    long sign = bits >> 63;
    addMantissa((m ^ sign) - sign, 1 + VALUE_POSITION);
  }

  /**
   * Makes the window cover digits [low, high] and returns the new digit array; the value is
   * unchanged. Grows by at least one digit beyond what is asked at the top, for carries.
   */
  private long[] grow(int low, int high) {
    long[] d = digits;
    if (d.length == 0) {
      digits = new long[high - low + 2];
      base = low;
      return digits;
    }
    int newBase = Math.min(base, low);
    int newTop = Math.max(base + d.length - 1, high + 1);
    if (newBase < 0 || newTop >= MAX_DIGITS) {
      throw new IllegalStateException("exact sum: digit " + low + ".." + high + " outside the grid (a bug)");
    }
    long[] grown = new long[newTop - newBase + 1];
    System.arraycopy(d, 0, grown, base - newBase, d.length);
    digits = grown;
    base = newBase;
    return grown;
  }

  /**
   * Carries every digit into [0, 2^32), the top one into [-2^31, 2^31) (growing the window upwards
   * if needed); the value is unchanged. After this, up to {@value #ADDS_BEFORE_NORMALIZE} adds are
   * safe.
   */
  private void normalize() {
    pending = 0;
    long[] d = digits;
    int n = d.length;
    if (n == 0) {
      return;
    }
    long carry = 0;
    for (int j = 0; j < n - 1; j++) {
      long v = d[j] + carry;
      d[j] = v & MASK32;
      carry = v >> 32;
    }
    // The top digit keeps the sign; while it is beyond [-2^31, 2^31), spill it into a new digit.
    long top = d[n - 1] + carry;
    int j = n - 1;
    while (top < -(1L << 31) || top >= (1L << 31)) {
      if (j + 1 >= d.length) {
        d = grow(base, base + j + 1);
      }
      d[j] = top & MASK32;
      top = (top >> 32) + d[j + 1];
      j++;
    }
    d[j] = top;
  }

  /** Adds another sum into this one exactly; the other's value is unchanged. */
  public ExactSum add(ExactSum other) {
    nonFinite |= other.nonFinite;
    long[] o = other.digits;
    if (o.length == 0) {
      return this;
    }
    normalize();
    long[] d = grow(other.base, other.base + o.length);
    int offset = other.base - base;
    // Each of the other's digits (any long) as a low part in [0, 2^32) and a high part below 2^31
    // in magnitude: this one's digits stay below 2^33 + 2^31, then normalize.
    for (int j = 0; j < o.length; j++) {
      d[offset + j] += o[j] & MASK32;
      d[offset + j + 1] += o[j] >> 32;
    }
    normalize();
    return this;
  }

  /** Zero (an empty sum of finite values) again. */
  public void clear() {
    digits = NO_DIGITS;
    base = 0;
    pending = 0;
    nonFinite = 0;
  }

  /** Whether a NaN was added. */
  public boolean hasNaN() {
    return (nonFinite & SEEN_NAN) != 0;
  }

  /** Whether +Infinity was added (also as the square of an infinity). */
  public boolean hasPositiveInfinity() {
    return (nonFinite & SEEN_POSITIVE_INFINITY) != 0;
  }

  /** Whether -Infinity was added. */
  public boolean hasNegativeInfinity() {
    return (nonFinite & SEEN_NEGATIVE_INFINITY) != 0;
  }

  /** Whether every value added was finite. */
  public boolean isFinite() {
    return nonFinite == 0;
  }

  /** Digits (longs) held: the memory of the window, 8 bytes each. */
  public int windowDigits() {
    return digits.length;
  }

  /**
   * The normalized, trimmed digits: [0] is the base digit index, then the digits, lowest first,
   * all in [0, 2^32) but the last, which is signed and non-zero. Just {base} for zero.
   */
  private long[] canonical() {
    long[] d = digits.clone();
    int n = d.length;
    // Normalize the copy (the top may spill: keep the carry separately).
    long carry = 0;
    for (int j = 0; j < n; j++) {
      long v = d[j] + carry;
      if (j < n - 1) {
        d[j] = v & MASK32;
        carry = v >> 32;
      } else {
        d[j] = v;
      }
    }
    // Spill the top into further digits until it is within [-2^31, 2^31).
    long[] wide = d;
    while (n > 0 && !(wide[n - 1] >= -(1L << 31) && wide[n - 1] < (1L << 31))) {
      wide = Arrays.copyOf(wide, n + 1);
      long top = wide[n - 1];
      wide[n - 1] = top & MASK32;
      wide[n] = top >> 32;
      n++;
    }
    // Trim: leading (top) digits that only extend the sign, trailing (low) zero digits.
    int low = 0;
    while (low < n && wide[low] == 0) {
      low++;
    }
    if (low == n) {
      return new long[] {0};
    }
    int high = n - 1;
    // A top digit of 0 over a digit below 2^31, or -1 over a digit >= 2^31, is redundant.
    while (high > low) {
      long below = wide[high - 1];
      if (wide[high] == 0 && below < (1L << 31)) {
        high--;
      } else if (wide[high] == -1 && below >= (1L << 31)) {
        wide[high - 1] = below - (1L << 32);
        high--;
      } else {
        break;
      }
    }
    long[] result = new long[high - low + 2];
    result[0] = base + low;
    System.arraycopy(wide, low, result, 1, high - low + 1);
    return result;
  }

  /** The exact value (of the finite values) as the returned integer times 2^exponent[0]. */
  BigInteger unscaled(int[] exponent) {
    long[] c = canonical();
    exponent[0] = 32 * (int) c[0] - GRID_BIAS;
    if (c.length == 1) {
      return BigInteger.ZERO;
    }
    int n = c.length - 1;
    // Big-endian two's complement bytes: the top digit signed (4 bytes), the others unsigned.
    byte[] bytes = new byte[4 * n];
    for (int j = 0; j < n; j++) {
      long v = c[1 + j];
      int at = 4 * (n - 1 - j);
      bytes[at] = (byte) (v >>> 24);
      bytes[at + 1] = (byte) (v >>> 16);
      bytes[at + 2] = (byte) (v >>> 8);
      bytes[at + 3] = (byte) v;
    }
    return new BigInteger(bytes);
  }

  private void requireFinite() {
    if (nonFinite != 0) {
      throw new ArithmeticException("exact sum: a non-finite value was added (" + describeNonFinite() + ")");
    }
  }

  /** "NaN", "+Infinity", "-Infinity" or several of them, for messages; "" when all were finite. */
  String describeNonFinite() {
    StringBuilder b = new StringBuilder();
    if (hasNaN()) {
      b.append("NaN");
    }
    if (hasPositiveInfinity()) {
      b.append(b.length() > 0 ? ", " : "").append("+Infinity");
    }
    if (hasNegativeInfinity()) {
      b.append(b.length() > 0 ? ", " : "").append("-Infinity");
    }
    return b.toString();
  }

  /**
   * The exact sum.
   *
   * @throws ArithmeticException when a non-finite value was added
   */
  public BigDecimal toBigDecimal() {
    requireFinite();
    int[] exponent = new int[1];
    BigInteger unscaled = unscaled(exponent);
    if (unscaled.signum() == 0) {
      return BigDecimal.ZERO;
    }
    int zeros = unscaled.getLowestSetBit();
    unscaled = unscaled.shiftRight(zeros);
    exponent[0] += zeros;
    if (exponent[0] >= 0) {
      return new BigDecimal(unscaled.shiftLeft(exponent[0]));
    }
    // unscaled * 2^-k = unscaled * 5^k / 10^k, exact.
    int k = -exponent[0];
    return new BigDecimal(unscaled.multiply(BigInteger.valueOf(5).pow(k)), k);
  }

  /**
   * The sum correctly rounded to double (to nearest, ties to even; beyond the double range,
   * infinite). With non-finite values added, what IEEE summation gives: NaN when a NaN or both
   * infinities were added, else the infinity.
   */
  public double toDouble() {
    if (nonFinite != 0) {
      if (hasNaN() || (hasPositiveInfinity() && hasNegativeInfinity())) {
        return Double.NaN;
      }
      return hasPositiveInfinity() ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
    }
    int[] exponent = new int[1];
    BigInteger unscaled = unscaled(exponent);
    return ExactMath.toDouble(unscaled, exponent[0], BigInteger.ONE);
  }

  /** -1, 0 or 1: the sign of the exact sum (of the finite values). */
  public int signum() {
    return unscaled(new int[1]).signum();
  }

  /**
   * Value equality: the same exact sum of finite values and the same non-finite values seen,
   * however the values were added.
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof ExactSum && nonFinite == ((ExactSum) o).nonFinite
        && Arrays.equals(canonical(), ((ExactSum) o).canonical());
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(canonical()) + nonFinite;
  }

  /** The exact value in decimal (or the non-finite values seen), for messages. */
  @Override
  public String toString() {
    return nonFinite != 0 ? "ExactSum[" + describeNonFinite() + "]" : toBigDecimal().toString();
  }

  /**
   * Writes the value compactly: one byte of non-finite flags, the lowest non-zero digit's index and
   * the digit count (a short each), then the digits as ints, lowest first (the top one signed).
   * Equal values write equal bytes; {@link #readFrom} reads it back.
   */
  public void writeTo(DataOutput out) throws IOException {
    long[] c = canonical();
    out.writeByte(nonFinite);
    out.writeShort((int) c[0]);
    out.writeShort(c.length - 1);
    for (int j = 1; j < c.length; j++) {
      out.writeInt((int) c[j]);
    }
  }

  /** Reads a value written by {@link #writeTo}. */
  public static ExactSum readFrom(DataInput in) throws IOException {
    ExactSum sum = new ExactSum();
    int flags = in.readUnsignedByte();
    int base = in.readUnsignedShort();
    int n = in.readUnsignedShort();
    if ((flags & ~7) != 0 || base + n > MAX_DIGITS) {
      throw new IOException("not an exact sum: flags " + flags + ", digits " + base + " + " + n);
    }
    sum.nonFinite = flags;
    if (n > 0) {
      // One spare digit on top for carries, as grow() leaves.
      long[] d = new long[n + 1];
      for (int j = 0; j < n; j++) {
        int v = in.readInt();
        d[j] = j == n - 1 ? v : v & MASK32;
      }
      d[n] = 0;
      sum.digits = d;
      sum.base = base;
    }
    return sum;
  }
}
