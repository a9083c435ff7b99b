package io.sparknorm.sql;

import io.sparknorm.core.NormalizationException;
import io.sparknorm.core.TensorValueException;
import java.io.Serializable;

/**
 * A tensor that breaks a rule (null element, wrong length, NaN or infinity), met by a function
 * that fails on invalid input: the SQL functions' wording of a {@link TensorValueException} (its
 * cause, whose rule, value and index it carries), naming the function and the argument, and the
 * {@code try_} twin where there is one. Thrown inside a Spark task; the query fails with it as the
 * cause. A caller that built the expression itself (the library) may attach a context of its own,
 * to find the row afterwards.
 */
public final class InvalidTensorException extends NormalizationException {
  private static final long serialVersionUID = 1L;

  private final String function;
  private final String argument;
  private final Serializable context;

  InvalidTensorException(String function, String argument, TensorValueException rule, Serializable context) {
    super(rule, function + ": tensor argument " + argument + ": " + rule.getMessage() + (context != null
        || !hasTryTwin(function) ? "" : "; try_" + function + " returns NULL for such a tensor instead"));
    this.function = function;
    this.argument = argument;
    this.context = context;
  }

  private InvalidTensorException(InvalidTensorException original, String message) {
    super(original, message);
    this.function = original.function;
    this.argument = original.argument;
    this.context = original.context;
  }

  private static boolean hasTryTwin(String function) {
    return !function.startsWith("try_") && function.endsWith("_norm");
  }

  /** The SQL name of the function that failed. */
  public String function() {
    return function;
  }

  /** The tensor argument as SQL text, such as {@code t.features}. */
  public String argument() {
    return argument;
  }

  /** What the builder of the expression attached, or null (SQL). */
  public Serializable context() {
    return context;
  }

  @Override
  public InvalidTensorException worded(String message) {
    return new InvalidTensorException(this, message);
  }

  @Override
  public synchronized Throwable fillInStackTrace() {
    return this; // thrown per row inside a task: the row matters, not the stack
  }
}
