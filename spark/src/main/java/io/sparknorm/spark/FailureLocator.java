package io.sparknorm.spark;

import io.sparknorm.core.Normalizer;
import io.sparknorm.core.Shape;
import io.sparknorm.core.TensorValueException;
import io.sparknorm.sql.InvalidTensorException;
import io.sparknorm.sql.SqlFunctions;
import io.sparknorm.sql.TensorCheckFunction;
import java.io.Serializable;
import java.util.List;
import org.apache.spark.SparkThrowable;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * Turns a failure into the contract's one-line description. For an invalid tensor that is a
 * {@link ColumnException} naming the column, the row and the rule: {@code column 'features', row
 * 12: value NaN at index 3 is not finite}. The expression that met the row knows neither the
 * row's position nor its id (that would cost every row a counter and keep the optimizer from
 * moving filters), so on this error path only, one more job finds the first invalid row of the
 * input: its 0-based position in read order (counted over the partitions before it) and its id
 * column's value, and checks its tensor again for the rule's fields.
 */
final class FailureLocator {
  private FailureLocator() {}

  /**
   * What the library attaches to its expressions' failures to find the row afterwards; the
   * normalizer, when set, is asked for the rules of normalizing too ({@link Normalizer#problem}).
   */
  record Context(List<String> columns, boolean single, Shape shape, String idCol, Normalizer normalizer)
      implements Serializable {
    Context(List<String> columns, boolean single, Shape shape, String idCol) {
      this(columns, single, shape, idCol, null);
    }

    Context withNormalizer(Normalizer n) {
      return new Context(columns, single, shape, idCol, n);
    }
  }

  /**
   * The invalid row a failure is about, found in the input, as a {@link ColumnException}; the one
   * the failure holds; or null when it is about no rule of a column (an unreadable file, Spark's
   * own errors). The row's rule is checked again where it is found, so its fields are that row's.
   */
  static ColumnException locate(Throwable failure, Dataset<Row> input) {
    ColumnException thrown = find(failure, ColumnException.class);
    if (thrown != null) {
      return thrown;
    }
    InvalidTensorException invalid = find(failure, InvalidTensorException.class);
    if (invalid == null || !(invalid.context() instanceof Context context)) {
      return null;
    }
    String column = String.join(",", context.columns());
    // A stream cannot be read again to find the row.
    FirstRow first = input == null || input.isStreaming() ? null : firstInvalidRow(input, context);
    return first == null ? ColumnException.atSomeRow(column, find(invalid, TensorValueException.class))
        : ColumnException.atRow(column, first.position(), context.idCol(), first.id(),
            TensorCheckFunction.toException((Row) first.problem()));
  }

  static String describe(Throwable failure, Dataset<Row> input) {
    ColumnException located = locate(failure, input);
    if (located != null) {
      return located.getMessage();
    }
    InvalidTensorException invalid = find(failure, InvalidTensorException.class);
    if (invalid != null) {
      return invalid.getMessage();
    }
    String unreadable = unreadableFile(failure);
    if (unreadable != null) {
      return unreadable;
    }
    IllegalArgumentException argument = find(failure, IllegalArgumentException.class);
    Throwable cause = argument != null ? argument : failure;
    String message = cause.getMessage();
    return message == null ? cause.getClass().getName() : message.strip().split("\n")[0];
  }

  /**
   * Spark's "Encountered error while reading file X" keeps why in its cause (such as "X is not a
   * Parquet file. Expected magic number at tail, ..."): "input file X cannot be read: why", or null
   * when the failure is not one of reading an input file.
   */
  private static String unreadableFile(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SparkThrowable spark && spark.getCondition() != null
          && spark.getCondition().startsWith("FAILED_READ_FILE")) {
        String path = spark.getMessageParameters().get("path");
        Throwable cause = t.getCause();
        String why = cause == null || cause.getMessage() == null ? null : cause.getMessage().strip().split("\n")[0];
        if (path == null || why == null) {
          return null;
        }
        return "input file " + path + " cannot be read: " + why;
      }
    }
    return null;
  }

  /** The first row in read order whose tensor breaks a rule of the context, or null. */
  private static FirstRow firstInvalidRow(Dataset<Row> input, Context context) {
    TensorColumn tensor = context.single() ? TensorColumn.of(input.schema(), context.columns().get(0))
        : TensorColumn.ofScalars(input.schema(), context.columns());
    Column rule = Columns.column(SqlFunctions.apply(TensorCheckFunction.problem(tensor.reader(), context.shape(),
        context.normalizer()), Columns.expressions(tensor.column())));
    Column id = context.idCol() == null ? functions.lit(null).cast("string")
        : TensorColumn.quoted(TensorColumn.field(input.schema(), context.idCol()).name()).cast("string");
    return firstInReadOrder(input.select(functions.spark_partition_id().as("p"),
        functions.monotonically_increasing_id().as("pos"), rule.as("problem"), id.as("id")));
  }

  /**
   * A row found: its 0-based position in the input's read order, its id column's value (null when
   * none or null) and what is wrong with it.
   */
  record FirstRow(long position, String id, Object problem) {}

  /**
   * The first row in read order whose problem is not null, from a frame of columns {@code p} (the
   * partition of the row as read), {@code pos} (its {@code monotonically_increasing_id} there),
   * {@code problem} and {@code id} (string); null when no row has one. One job; the position is
   * counted over the partitions before the row's.
   */
  static FirstRow firstInReadOrder(Dataset<Row> positioned) {
    List<Row> partitions = positioned
        .groupBy("p")
        .agg(functions.count(functions.lit(1)).as("n"),
            functions.min_by(functions.struct(functions.col("pos"), functions.col("problem"), functions.col("id")),
                functions.when(functions.col("problem").isNotNull(), functions.col("pos"))).as("bad"))
        .orderBy("p")
        .collectAsList();
    long before = 0;
    for (Row partition : partitions) {
      Row bad = partition.getStruct(2);
      if (bad == null || bad.isNullAt(1)) {
        before += partition.getLong(1);
        continue;
      }
      long indexInPartition = bad.getLong(0) - ((long) partition.getInt(0) << 33);
      return new FirstRow(before + indexInPartition, bad.isNullAt(2) ? null : bad.getString(2), bad.get(1));
    }
    return null;
  }

  private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }
}
