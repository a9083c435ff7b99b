package io.sparknorm.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.core.ArgumentException.Argument;
import io.sparknorm.core.NormalizationException.Rule;
import org.junit.jupiter.api.Test;

/**
 * Each rule of the core as an exception a caller can act on without reading its text: the family,
 * the rule, the argument, the value and the index, with the wording the other tests pin.
 */
class NormalizationExceptionTest {

  private static void assertArgument(Rule rule, Argument argument, String value, int index, ArgumentException e) {
    assertEquals(rule, e.rule(), e.getMessage());
    assertEquals(argument, e.argument(), e.getMessage());
    assertEquals(value, e.value(), e.getMessage());
    assertEquals(index, e.index(), e.getMessage());
    assertEquals(e.getMessage(), e.reason(), "the core's message is the rule's wording");
  }

  @Test
  void argumentsName() {
    Shape six = Shape.of(6);
    assertArgument(Rule.GROUPS, Argument.GROUPS, "4", -1, assertThrows(ArgumentException.class,
        () -> Normalizers.group(six, 4, 1e-5, Affine.none())));
    assertArgument(Rule.EPS, Argument.EPS, "-1.0", -1, assertThrows(ArgumentException.class,
        () -> Normalizers.layer(six, -1, Affine.none())));
    assertArgument(Rule.SPATIAL_SIZE, Argument.SHAPE, "1", -1, assertThrows(ArgumentException.class,
        () -> Normalizers.instance(six, 1e-5, Affine.none())));
    assertArgument(Rule.SHAPE, Argument.SHAPE, "x", 1, assertThrows(ArgumentException.class,
        () -> Shape.parse("3,x")));
    assertArgument(Rule.SHAPE, Argument.SHAPE, "0", 1, assertThrows(ArgumentException.class, () -> Shape.of(3, 0)));
    // Weight and bias, mean and var: the argument says which array, where the text would have to be read.
    assertArgument(Rule.AFFINE, Argument.BIAS, "NaN", 1, assertThrows(ArgumentException.class,
        () -> Affine.of(null, new double[] {0, Double.NaN})));
    assertArgument(Rule.AFFINE, Argument.WEIGHT, "Infinity", 0, assertThrows(ArgumentException.class,
        () -> Affine.of(new double[] {Double.POSITIVE_INFINITY}, null)));
    assertArgument(Rule.AFFINE, Argument.BIAS, "2", -1, assertThrows(ArgumentException.class,
        () -> Normalizers.layer(six, 1e-5, Affine.of(null, new double[2]))));
    assertArgument(Rule.STATISTICS, Argument.VAR, "-1.0", 2, assertThrows(ArgumentException.class,
        () -> new BatchStatistics(Shape.of(3), 0, new double[3], new double[] {1, 1, -1}, new double[3])));
    assertArgument(Rule.STATISTICS, Argument.MEAN, "NaN", 0, assertThrows(ArgumentException.class,
        () -> new BatchStatistics(Shape.of(1), 0, new double[] {Double.NaN}, new double[1], new double[1])));
    BatchStatistics constant = new BatchStatistics(Shape.of(2), 4, new double[2], new double[] {1, 0}, new double[2]);
    assertArgument(Rule.ZERO_VARIANCE, Argument.EPS, "0.0", 1, assertThrows(ArgumentException.class,
        () -> Normalizers.batch(constant, 0, Affine.none())));
  }

  @Test
  void tensorsName() {
    TensorValueException length = assertThrows(TensorValueException.class, () -> Shape.of(3).checkLength(2));
    assertEquals(Rule.LENGTH, length.rule());
    assertEquals("2", length.value());
    assertEquals("tensor of length 2 does not match shape (3,) (3 elements)", length.getMessage());
    assertNull(Shape.of(3).lengthProblem(3));

    // A constant sample with eps 0: normalized values 0/0, refused as a tensor's rule.
    Normalizer layer = Normalizers.layer(Shape.of(3), 0, Affine.none());
    TensorValueException constant = assertThrows(NonFiniteResultException.class,
        () -> layer.apply(new double[] {2, 2, 2}));
    assertEquals(Rule.NOT_FINITE_RESULT, constant.rule());
    assertEquals(layer.problem(new double[] {2, 2, 2}), constant.reason());
  }

  @Test
  void statisticsName() {
    ExactMoments one = new ExactMoments(Shape.of(2)).update(new double[] {1, 2});
    StatisticsException few = assertThrows(StatisticsException.class, one::statistics);
    assertEquals(Rule.TOO_FEW_VALUES, few.rule());
    assertEquals("1", few.value());

    ExactMoments apart = new ExactMoments(Shape.of(2));
    for (int i = 0; i < 10; i++) {
      apart.update(new double[] {1, i % 2 == 0 ? 1.5e308 : -1.5e308});
    }
    StatisticsException overflow = assertThrows(StatisticsException.class, apart::statistics);
    assertEquals(Rule.OVERFLOW, overflow.rule());
    assertEquals(1, overflow.index(), "the channel");
  }

  /** A caller's wording keeps the type and every field, and the core's exception as its cause. */
  @Test
  void wordedKeepsTheFields() {
    ArgumentException core = assertThrows(ArgumentException.class,
        () -> Affine.of(null, new double[] {Double.NaN}));
    ArgumentException worded = core.worded("group_norm: argument 6 (bias) " + core.getMessage());
    assertEquals("group_norm: argument 6 (bias) affine bias[0] is NaN, must be finite", worded.getMessage());
    assertEquals(core.reason(), worded.reason());
    assertEquals(Rule.AFFINE, worded.rule());
    assertEquals(Argument.BIAS, worded.argument());
    assertEquals("NaN", worded.value());
    assertEquals(0, worded.index());
    assertSame(core, worded.getCause());
    assertTrue(worded.worded("again") instanceof ArgumentException);
    assertTrue(new StatisticsException(Rule.OVERFLOW, null, 0, "r").worded("w") instanceof StatisticsException);
    assertTrue(new TensorValueException(Rule.EMPTY, "0", -1, "r").worded("w") instanceof TensorValueException);
  }
}
