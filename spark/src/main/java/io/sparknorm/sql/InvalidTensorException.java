package io.sparknorm.sql;

import java.io.Serializable;

/**
 * A tensor that breaks a rule (null element, wrong length, NaN or infinity), met by a function
 * that fails on invalid input. Thrown inside a Spark task; the query fails with it as the cause.
 * It names the function, the argument and the rule. A caller that built the expression itself
 * (the library) may attach a context of its own, to find the row afterwards.
 */
public final class InvalidTensorException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String function;
  private final String rule;
  private final Serializable context;

  InvalidTensorException(String function, String argument, String rule, Serializable context) {
    super(function + ": tensor argument " + argument + ": " + rule + (context != null || !hasTryTwin(function) ? ""
        : "; try_" + function + " returns NULL for such a tensor instead"), null, false, false);
    this.function = function;
    this.rule = rule;
    this.context = context;
  }

  private static boolean hasTryTwin(String function) {
    return !function.startsWith("try_") && function.endsWith("_norm");
  }

  /** The SQL name of the function that failed. */
  public String function() {
    return function;
  }

  /** What was wrong, such as "value NaN at index 3 is not finite". */
  public String rule() {
    return rule;
  }

  /** What the builder of the expression attached, or null (SQL). */
  public Serializable context() {
    return context;
  }
}
