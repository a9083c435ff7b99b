package io.sparknorm.core;

/**
 * A sample whose exact normalized values are not finite, such as a layer-norm sample of equal
 * values with eps 0 (0/0): refused instead of written as NaN. The message is the rule it breaks,
 * naming the part of the sample ("channel 2 has variance 0 ..."), as {@link Normalizer#problem}
 * gives it.
 */
public final class NonFiniteResultException extends TensorValueException {
  private static final long serialVersionUID = 1L;

  NonFiniteResultException(String rule) {
    super(Rule.NOT_FINITE_RESULT, null, -1, rule);
  }
}
