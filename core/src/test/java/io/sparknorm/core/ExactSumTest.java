package io.sparknorm.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ExactSumTest {

  private static final BigDecimal GRID = new BigDecimal(BigInteger.ONE.shiftLeft(ExactReference.SCALE));

  /** Doubles of every kind: all exponents, subnormals, the extremes, both signs, zeros. */
  static double[] hardValues(Random random, int n) {
    double[] values = new double[n];
    for (int i = 0; i < n; i++) {
      double v;
      switch (random.nextInt(8)) {
        case 0: // any finite bit pattern
          do {
            v = Double.longBitsToDouble(random.nextLong());
          } while (!Double.isFinite(v));
          break;
        case 1: // subnormal
          v = Double.longBitsToDouble(random.nextLong() & 0x800F_FFFF_FFFF_FFFFL);
          break;
        case 2: // near the top
          v = (random.nextBoolean() ? 1 : -1) * Double.MAX_VALUE * (1 - random.nextDouble() * 0.5);
          break;
        case 3:
          v = 1e8 + 0.1 * random.nextGaussian();
          break;
        case 4:
          v = random.nextGaussian() * Math.pow(10, -30 + 60 * random.nextDouble());
          break;
        case 5:
          v = new double[] {0.0, -0.0, Double.MIN_VALUE, -Double.MIN_VALUE, Double.MIN_NORMAL, Double.MAX_VALUE,
              -Double.MAX_VALUE, 1.0, -1.0, Math.nextDown(Double.MIN_NORMAL)}[random.nextInt(10)];
          break;
        default:
          v = random.nextGaussian();
      }
      values[i] = v;
    }
    return values;
  }

  @Test
  void theReferenceGridIsExact() {
    Random random = new Random(1);
    for (double x : hardValues(random, 2000)) {
      assertEquals(ExactReference.scaledSlowly(x), ExactReference.scaled(x), "x = " + x);
    }
    for (double x : new double[] {Double.MIN_VALUE, Double.MAX_VALUE, -Double.MIN_NORMAL, 3.0, -1e-310}) {
      assertEquals(ExactReference.scaledSquareSlowly(x), ExactReference.scaledSquare(x), "x = " + x);
    }
  }

  private static BigDecimal exact(BigInteger onGrid) {
    return new BigDecimal(onGrid).divide(GRID); // exact: a power of two
  }

  @Test
  void sumsAndSumsOfSquaresAreExactForEveryKindOfDouble() {
    Random random = new Random(2);
    for (int trial = 0; trial < 20; trial++) {
      double[] values = hardValues(random, 3000);
      ExactSum sum = new ExactSum();
      ExactSum squares = new ExactSum();
      BigInteger s = BigInteger.ZERO;
      BigInteger q = BigInteger.ZERO;
      for (double v : values) {
        sum.add(v);
        squares.addSquare(v);
        s = s.add(ExactReference.scaled(v));
        q = q.add(ExactReference.scaledSquare(v));
      }
      assertEquals(0, exact(s).compareTo(sum.toBigDecimal()), "trial " + trial);
      assertEquals(0, exact(q).compareTo(squares.toBigDecimal()), "trial " + trial);
      assertEquals(Double.doubleToRawLongBits(ExactReference.nearest(s, ExactReference.GRID_DEN)),
          Double.doubleToRawLongBits(sum.toDouble()), "trial " + trial);
      assertEquals(Double.doubleToRawLongBits(ExactReference.nearest(q, ExactReference.GRID_DEN)),
          Double.doubleToRawLongBits(squares.toDouble()), "trial " + trial);
    }
  }

  @Test
  void singleSquaresAreExactAtTheExtremes() {
    for (double x : new double[] {Double.MAX_VALUE, -Double.MAX_VALUE, 1.5e308, Double.MIN_VALUE, -Double.MIN_VALUE,
        Double.MIN_NORMAL, Math.nextDown(Double.MIN_NORMAL), 1e-200, 3e-162, 1e154, 1.0 + Math.ulp(1.0)}) {
      ExactSum square = new ExactSum().addSquare(x);
      BigDecimal d = new BigDecimal(x);
      assertEquals(0, d.multiply(d).compareTo(square.toBigDecimal()), "x = " + x);
      ExactSum value = new ExactSum().add(x);
      assertEquals(0, d.compareTo(value.toBigDecimal()), "x = " + x);
      assertEquals(Double.doubleToRawLongBits(x), Double.doubleToRawLongBits(value.toDouble()), "x = " + x);
    }
    // (1 + 2^-52)^2 = 1 + 2^-51 + 2^-104: the double x * x loses the last term, the sum keeps it.
    double x = 1.0 + Math.ulp(1.0);
    assertEquals(0, new BigDecimal(x).pow(2).compareTo(new ExactSum().addSquare(x).toBigDecimal()));
    assertNotEquals(0, new BigDecimal(x * x).compareTo(new ExactSum().addSquare(x).toBigDecimal()));
  }

  @Test
  void theSumDoesNotDependOnTheOrderAndMergesExactly() throws IOException {
    Random random = new Random(3);
    double[] values = hardValues(random, 5000);
    ExactSum inOrder = new ExactSum();
    for (double v : values) {
      inOrder.add(v).addSquare(v);
    }
    byte[] expected = bytes(inOrder);
    List<Double> list = new ArrayList<>();
    for (double v : values) {
      list.add(v);
    }
    for (int trial = 0; trial < 10; trial++) {
      Collections.shuffle(list, random);
      int parts = 1 + random.nextInt(50);
      List<ExactSum> partial = new ArrayList<>();
      for (int p = 0; p < parts; p++) {
        partial.add(new ExactSum());
      }
      for (double v : list) {
        partial.get(random.nextInt(parts)).add(v).addSquare(v);
      }
      Collections.shuffle(partial, random);
      ExactSum merged = new ExactSum();
      for (ExactSum part : partial) {
        merged.add(part);
      }
      assertEquals(inOrder, merged);
      assertEquals(inOrder.hashCode(), merged.hashCode());
      assertArrayEquals(expected, bytes(merged));
      assertEquals(Double.doubleToRawLongBits(inOrder.toDouble()), Double.doubleToRawLongBits(merged.toDouble()));
    }
  }

  @Test
  void mergingLeavesTheOtherValueAndMergingIntoItselfDoubles() {
    ExactSum a = new ExactSum().add(1e300).add(-3.5).add(Double.MIN_VALUE);
    ExactSum b = new ExactSum().add(2e-300).addSquare(1e200);
    ExactSum before = b.copy();
    a.add(b);
    assertEquals(before, b);
    BigDecimal expected = new BigDecimal(1e300).add(new BigDecimal(-3.5)).add(new BigDecimal(Double.MIN_VALUE))
        .add(new BigDecimal(2e-300)).add(new BigDecimal(1e200).pow(2));
    assertEquals(0, expected.compareTo(a.toBigDecimal()));
    ExactSum c = new ExactSum().add(-7.25).add(1e-320);
    c.add(c);
    assertEquals(0, new BigDecimal(-7.25).add(new BigDecimal(1e-320)).multiply(BigDecimal.valueOf(2))
        .compareTo(c.toBigDecimal()));
  }

  /** Carries: millions of pieces of the largest size, of one sign and of both, through many normalizations. */
  @Test
  void longRunsOfTheLargestValuesCarryExactly() {
    int n = 1_000_003;
    ExactSum max = new ExactSum();
    ExactSum maxSquares = new ExactSum();
    ExactSum alternating = new ExactSum();
    double almostTwo = Math.nextDown(2.0); // mantissa all ones
    for (int i = 0; i < n; i++) {
      max.add(Double.MAX_VALUE);
      maxSquares.addSquare(-Double.MAX_VALUE);
      alternating.add(i % 3 == 0 ? -almostTwo : almostTwo * 0.75).add(-Double.MIN_VALUE);
    }
    BigDecimal count = BigDecimal.valueOf(n);
    assertEquals(0, new BigDecimal(Double.MAX_VALUE).multiply(count).compareTo(max.toBigDecimal()));
    assertEquals(0, new BigDecimal(Double.MAX_VALUE).pow(2).multiply(count).compareTo(maxSquares.toBigDecimal()));
    assertEquals(Double.POSITIVE_INFINITY, max.toDouble());
    long negatives = (n + 2) / 3;
    BigDecimal expected = new BigDecimal(-almostTwo).multiply(BigDecimal.valueOf(negatives))
        .add(new BigDecimal(almostTwo * 0.75).multiply(BigDecimal.valueOf(n - negatives)))
        .subtract(new BigDecimal(Double.MIN_VALUE).multiply(count));
    assertEquals(0, expected.compareTo(alternating.toBigDecimal()));
    // Summing back to zero leaves exactly zero.
    ExactSum back = max.copy();
    for (int i = 0; i < n; i++) {
      back.add(-Double.MAX_VALUE);
    }
    assertEquals(0, back.signum());
    assertEquals(new ExactSum(), back);
    assertEquals(0.0, back.toDouble());
  }

  /**
   * The largest piece a digit takes: a mantissa of all ones shifted by 31 within its digit leaves
   * (2^53 - 1) 2^31 / 2^32, almost 2^52, for the next digit. 2^13 times 2^52 already overflows a
   * long, so this checks that normalization comes often enough.
   */
  @Test
  void theLargestPiecesCarryExactly() {
    double x = Math.nextDown(0x1p14); // exponent 13: grid position 13 + 1023 + 1075 = 31 mod 32
    assertEquals(31, (Math.getExponent(x) + 1023 + ExactSum.GRID_BIAS - 1075) & 31);
    for (double v : new double[] {x, -x}) {
      int n = 1 << 20;
      ExactSum sum = new ExactSum();
      ExactSum squares = new ExactSum();
      for (int i = 0; i < n; i++) {
        sum.add(v);
        squares.addSquare(v);
      }
      assertEquals(0, new BigDecimal(v).multiply(BigDecimal.valueOf(n)).compareTo(sum.toBigDecimal()), "x = " + v);
      assertEquals(0, new BigDecimal(v).pow(2).multiply(BigDecimal.valueOf(n)).compareTo(squares.toBigDecimal()));
    }
  }

  @Test
  void correctRoundingOfTiesAndSubnormals() {
    // 1 + 2^-53 is a tie between 1 and 1 + 2^-52: to even, 1.
    assertEquals(1.0, new ExactSum().add(1.0).add(0x1p-53).toDouble());
    // (1 + 2^-52) + 2^-53 is a tie: to even, 1 + 2^-51.
    assertEquals(1.0 + 0x1p-51, new ExactSum().add(1.0 + 0x1p-52).add(0x1p-53).toDouble());
    // Just above the tie: up.
    assertEquals(1.0 + 0x1p-52, new ExactSum().add(1.0).add(0x1p-53).add(Double.MIN_VALUE).toDouble());
    // Subnormal results.
    assertEquals(Double.MIN_VALUE, new ExactSum().add(0x1p-1000).add(-0x1p-1000).add(Double.MIN_VALUE).toDouble());
    assertEquals(Math.nextDown(Double.MIN_NORMAL),
        new ExactSum().add(Double.MIN_NORMAL).add(-Double.MIN_VALUE).toDouble());
    // The square of the smallest subnormal, 2^-2148, rounds to +0; its negative sum to -0.
    ExactSum tiny = new ExactSum().addSquare(Double.MIN_VALUE);
    assertEquals(1, tiny.signum());
    assertEquals(Double.doubleToRawLongBits(0.0), Double.doubleToRawLongBits(tiny.toDouble()));
    // Overflow: MAX + half an ulp is a tie that rounds to infinity, just below it to MAX.
    double halfUlp = Math.ulp(Double.MAX_VALUE) / 2;
    assertEquals(Double.POSITIVE_INFINITY, new ExactSum().add(Double.MAX_VALUE).add(halfUlp).toDouble());
    assertEquals(Double.MAX_VALUE,
        new ExactSum().add(Double.MAX_VALUE).add(halfUlp).add(-Double.MIN_VALUE).toDouble());
    assertEquals(Double.NEGATIVE_INFINITY, new ExactSum().add(-Double.MAX_VALUE).add(-Double.MAX_VALUE).toDouble());
  }

  @Test
  void theRoundingAgreesWithTheReferenceOnRandomRationals() {
    Random random = new Random(4);
    for (int i = 0; i < 20_000; i++) {
      BigInteger num = new BigInteger(1 + random.nextInt(3000), random);
      if (random.nextBoolean()) {
        num = num.negate();
      }
      BigInteger den = new BigInteger(1 + random.nextInt(200), random).add(BigInteger.ONE);
      int exp2 = random.nextInt(4400) - 3200;
      // Ties: an exact double plus half its ulp, now and then.
      if (i % 7 == 0) {
        double d = Double.longBitsToDouble(random.nextLong() & 0x7FEF_FFFF_FFFF_FFFFL);
        int[] e = new int[1];
        BigInteger m = ExactMath.exact(d, e);
        num = m.shiftLeft(2).add(BigInteger.valueOf(i % 2 == 0 ? 2 : 1)); // (m + 1/2) or (m + 1/4) 2^e
        exp2 = e[0] - 2;
        den = BigInteger.ONE;
      }
      double expected = exp2 >= 0 ? ExactReference.nearest(num.shiftLeft(exp2), den)
          : ExactReference.nearest(num, den.shiftLeft(-exp2));
      double actual = ExactMath.toDouble(num, exp2, den);
      assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(actual),
          "num " + num + " 2^" + exp2 + " / " + den + ": expected " + expected + ", got " + actual);
    }
  }

  @Test
  void nonFiniteValuesAreRecordedNotSummed() {
    ExactSum sum = new ExactSum().add(1.0).add(Double.POSITIVE_INFINITY);
    assertFalse(sum.isFinite());
    assertTrue(sum.hasPositiveInfinity());
    assertFalse(sum.hasNaN());
    assertEquals(Double.POSITIVE_INFINITY, sum.toDouble());
    ArithmeticException e = assertThrows(ArithmeticException.class, sum::toBigDecimal);
    assertEquals("exact sum: a non-finite value was added (+Infinity)", e.getMessage());
    sum.add(new ExactSum().add(Double.NEGATIVE_INFINITY));
    assertTrue(sum.hasNegativeInfinity());
    assertTrue(Double.isNaN(sum.toDouble()));
    assertTrue(Double.isNaN(new ExactSum().add(Double.NaN).toDouble()));
    assertEquals(Double.NEGATIVE_INFINITY, new ExactSum().add(Double.NEGATIVE_INFINITY).add(5).toDouble());
    ExactSum squares = new ExactSum().addSquare(Double.NEGATIVE_INFINITY);
    assertTrue(squares.hasPositiveInfinity());
    assertFalse(squares.hasNegativeInfinity());
    assertTrue(new ExactSum().addSquare(Double.NaN).hasNaN());
    assertNotEquals(new ExactSum().add(Double.NaN), new ExactSum());
  }

  @Test
  void theByteFormReadsBackAndIsCompact() throws IOException {
    Random random = new Random(5);
    for (int trial = 0; trial < 50; trial++) {
      ExactSum sum = new ExactSum();
      for (double v : hardValues(random, random.nextInt(200))) {
        if (random.nextBoolean()) {
          sum.add(v);
        } else {
          sum.addSquare(v);
        }
      }
      if (trial % 10 == 0) {
        sum.add(trial % 20 == 0 ? Double.NaN : Double.NEGATIVE_INFINITY);
      }
      byte[] bytes = bytes(sum);
      ExactSum read = ExactSum.readFrom(new DataInputStream(new ByteArrayInputStream(bytes)));
      assertEquals(sum, read);
      assertArrayEquals(bytes, bytes(read));
      if (sum.isFinite()) {
        assertEquals(0, sum.toBigDecimal().compareTo(read.toBigDecimal()));
      }
      // Reading back leaves a working accumulator.
      read.add(1.0);
      sum.add(1.0);
      assertEquals(sum, read);
    }
    assertEquals(5, bytes(new ExactSum()).length);
    assertEquals(5 + 4, bytes(new ExactSum().add(1.0)).length);
    // 1e8 + noise: 53 bits of mantissa over two or three digits.
    ExactSum offset = new ExactSum();
    for (int i = 0; i < 100_000; i++) {
      offset.add(1e8 + 0.1 * random.nextGaussian());
    }
    assertTrue(bytes(offset).length <= 5 + 4 * 4, "bytes " + bytes(offset).length);
    assertTrue(offset.windowDigits() <= 4, "window " + offset.windowDigits());
    assertThrows(IOException.class,
        () -> ExactSum.readFrom(new DataInputStream(new ByteArrayInputStream(new byte[] {8, 0, 0, 0, 0}))));
    assertThrows(IOException.class,
        () -> ExactSum.readFrom(new DataInputStream(new ByteArrayInputStream(new byte[] {0, 0, (byte) 200, 0, 1, 0, 0, 0, 1}))));
  }

  static byte[] bytes(ExactSum sum) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      sum.writeTo(out);
    }
    return bytes.toByteArray();
  }
}
