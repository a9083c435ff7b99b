package io.sparknorm.sql;

/**
 * Work that needs all of its input at once asked of a stream: fitting batch norm's statistics (the
 * {@code batch_norm_stats} aggregate over a whole stream, without an event-time window, an
 * Estimator's {@code fit}), reading the shape from a first row, a report. A stream never ends, so
 * such work never finishes; the message says what to do instead. {@link #operation()} names the
 * function or method refused. Thrown before any data is read: when the query is analyzed, or when
 * the method is called.
 */
public final class StreamingInputException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String operation;

  /**
   * @param operation the function or method refused, as its user names it: {@code batch_norm_stats},
   *     {@code TensorBatchNorm.fit}
   * @param reason why it cannot run on a stream, and what to do instead
   */
  public StreamingInputException(String operation, String reason) {
    super(operation + ": " + reason);
    this.operation = operation;
  }

  /** The function or method refused. */
  public String operation() {
    return operation;
  }
}
