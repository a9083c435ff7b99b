package io.sparknorm.spark;

/**
 * An invalid row met with {@link HandleInvalid#ERROR}. Thrown inside a Spark task, it knows the
 * row by its partition and position there (or by its id-column value); the driver turns that into
 * the row's 0-based position in the input (see {@link TensorNormalization#describeFailure}).
 */
public final class InvalidRowException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String column;
  private final int partition;
  private final long indexInPartition;
  private final String rowId;
  private final String rule;

  InvalidRowException(String column, int partition, long indexInPartition, String rowId, String rule) {
    super("column '" + column + "', " + (rowId != null ? "row id " + rowId : "partition " + partition + " row "
        + indexInPartition) + ": " + rule);
    this.column = column;
    this.partition = partition;
    this.indexInPartition = indexInPartition;
    this.rowId = rowId;
    this.rule = rule;
  }

  /** The tensor column (or columns) read. */
  public String column() {
    return column;
  }

  /** The Spark partition of the row. */
  public int partition() {
    return partition;
  }

  /** The 0-based position of the row within its partition. */
  public long indexInPartition() {
    return indexInPartition;
  }

  /** The row's id-column value, or null when no id column was given. */
  public String rowId() {
    return rowId;
  }

  /** What was wrong, such as "value NaN at index 3". */
  public String rule() {
    return rule;
  }
}
