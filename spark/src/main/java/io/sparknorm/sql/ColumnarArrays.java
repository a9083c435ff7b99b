package io.sparknorm.sql;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarArray;

/**
 * The element vector behind an array of a column batch (what Spark's Parquet reader gives the
 * generated code of a query). Spark keeps it in a private field of {@link ColumnarArray}, and its
 * public {@link ColumnVector#hasNull()} answers for a whole batch whether any element is null;
 * without it a tensor's elements are checked for null one virtual call each, which cost about a
 * tenth of the CPU of reading and normalizing a batch of 64-element rows. Spark's own
 * {@code ColumnarArray.copy()} asks the same question of the same vector.
 *
 * <p>Read through a method handle found once; where a Spark release has no such field, the
 * handle is absent and callers check each element (slower, never wrong).
 */
final class ColumnarArrays {
  private static final MethodHandle ELEMENTS = find();

  private ColumnarArrays() {}

  private static MethodHandle find() {
    try {
      return MethodHandles.privateLookupIn(ColumnarArray.class, MethodHandles.lookup())
          .findGetter(ColumnarArray.class, "data", ColumnVector.class);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  /** The vector that holds the array's elements (and those of the other rows of its batch), or null. */
  static ColumnVector elements(ColumnarArray array) {
    if (ELEMENTS == null) {
      return null;
    }
    try {
      return (ColumnVector) ELEMENTS.invokeExact(array);
    } catch (Throwable e) {
      return null;
    }
  }
}
