package io.sparknorm.spark;

import io.sparknorm.core.Normalizer;
import io.sparknorm.core.Shape;
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
 * Turns a failure into the contract's one-line description. For an invalid tensor that is the
 * column, the row and the rule: {@code column 'features', row 12: value NaN at index 3 is not
 * finite}. The expression that met the row knows neither the row's position nor its id (that
 * would cost every row a counter and keep the optimizer from moving filters), so on this error
 * path only, one more job finds the first invalid row of the input: its 0-based position in read
 * order (counted over the partitions before it) or its id column's value.
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

  static String describe(Throwable failure, Dataset<Row> input) {
    InvalidTensorException invalid = find(failure, InvalidTensorException.class);
    if (invalid != null && invalid.context() instanceof Context context) {
      String column = String.join(",", context.columns());
      String located = input == null ? null : locate(input, context);
      return "column '" + column + "', " + (located != null ? located : "a row: " + invalid.rule());
    }
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

  /**
   * "row N: rule" or "row with id X: rule" for the first invalid row of the input, or null. A row
   * whose id is null is named by its position: "row N (id null): rule".
   */
  private static String locate(Dataset<Row> input, Context context) {
    TensorColumn tensor = context.single() ? TensorColumn.of(input.schema(), context.columns().get(0))
        : TensorColumn.ofScalars(input.schema(), context.columns());
    Column rule = Columns.column(SqlFunctions.apply(TensorCheckFunction.problem(tensor.reader(), context.shape(),
        context.normalizer()), Columns.expressions(tensor.column())));
    Column id = context.idCol() == null ? functions.lit(null).cast("string")
        : TensorColumn.quoted(TensorColumn.field(input.schema(), context.idCol()).name()).cast("string");
    return firstInReadOrder(input.select(functions.spark_partition_id().as("p"),
        functions.monotonically_increasing_id().as("pos"), rule.as("rule"), id.as("id")), context.idCol() != null);
  }

  /**
   * "row N: rule" (or "row with id X: rule") for the first row in read order whose rule is not
   * null, from a frame of columns {@code p} (the partition of the row as read), {@code pos} (its
   * {@code monotonically_increasing_id} there), {@code rule} and {@code id} (string); null when
   * no row breaks a rule. One job; the position is counted over the partitions before the row's.
   */
  static String firstInReadOrder(Dataset<Row> positioned, boolean byId) {
    List<Row> partitions = positioned
        .groupBy("p")
        .agg(functions.count(functions.lit(1)).as("n"),
            functions.min_by(functions.struct(functions.col("pos"), functions.col("rule"), functions.col("id")),
                functions.when(functions.col("rule").isNotNull(), functions.col("pos"))).as("bad"))
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
      long row = before + indexInPartition;
      String where = !byId ? "row " + row
          : bad.isNullAt(2) ? "row " + row + " (id null)" : "row with id " + bad.getString(2);
      return where + ": " + bad.getString(1);
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
