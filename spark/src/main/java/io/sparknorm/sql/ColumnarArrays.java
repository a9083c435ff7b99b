package io.sparknorm.sql;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarArray;

/**
 * The element vector behind an array of a column batch (what Spark's Parquet reader gives the
 * generated code of a query). Spark keeps it in a private field of {@link ColumnarArray}, and its
 * public {@link ColumnVector#hasNull()} answers for a whole batch whether any element is null;
 * without it a tensor's elements are checked for null one virtual call each, a cost that shows
 * beside reading and normalizing short rows (benchmarks/PERFORMANCE-LOG.md has the figure).
 * Spark's own {@code ColumnarArray.copy()} asks the same question of the same vector.
 *
 * <p>Read through a variable handle found once; where a Spark release has no such field (or the
 * JVM does not open it), the handle is absent and callers check each element (slower, never
 * wrong). A variable handle's {@code get} declares no checked exception (a method handle's
 * {@code invokeExact} declares Throwable), so reading it catches nothing: a failure there would be
 * a bug to see, not a case to hide.
 */
final class ColumnarArrays {
  private static final VarHandle ELEMENTS = find();

  private ColumnarArrays() {}

  private static VarHandle find() {
    try {
      return MethodHandles.privateLookupIn(ColumnarArray.class, MethodHandles.lookup())
          .findVarHandle(ColumnarArray.class, "data", ColumnVector.class);
    } catch (ReflectiveOperationException | SecurityException | IllegalArgumentException e) {
      // No such field of that type (another Spark release), or its class not open to this one.
      return null;
    }
  }

  /** The vector that holds the array's elements (and those of the other rows of its batch), or null. */
  static ColumnVector elements(ColumnarArray array) {
    return ELEMENTS == null ? null : (ColumnVector) ELEMENTS.get(array);
  }
}
