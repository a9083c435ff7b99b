package io.sparknorm.spark;

import io.sparknorm.core.Shape;
import java.io.Serializable;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataType;

/**
 * Reads a row's tensor and checks it against the contract's validity rules: not null, the length
 * of the shape, no null, NaN or infinite value. Invalid rows are reported with
 * {@link HandleInvalid#ERROR} and otherwise passed over (null is returned).
 */
final class RowValidator implements Serializable {
  private static final long serialVersionUID = 1L;

  private final TensorColumn tensor;
  private final Shape shape;
  private final HandleInvalid handleInvalid;
  private final int idOrdinal;
  private final DataType idType;

  /**
   * @param shape the expected shape, or null to accept any non-empty length
   * @param idOrdinal the id column's ordinal, or -1
   */
  RowValidator(TensorColumn tensor, Shape shape, HandleInvalid handleInvalid, int idOrdinal, DataType idType) {
    this.tensor = tensor;
    this.shape = shape;
    this.handleInvalid = handleInvalid;
    this.idOrdinal = idOrdinal;
    this.idType = idType;
  }

  /**
   * The row's tensor as a new float[] or double[], or null when the row is invalid and
   * handle-invalid is skip or keep.
   *
   * @throws InvalidRowException when the row is invalid and handle-invalid is error
   */
  Object read(InternalRow row, int partition, long index) {
    String problem;
    Object values = null;
    try {
      values = tensor.read(row);
      problem = check(values);
    } catch (TensorColumn.InvalidValueException e) {
      problem = e.getMessage();
    }
    if (problem == null) {
      return values;
    }
    if (handleInvalid == HandleInvalid.ERROR) {
      String id = idOrdinal < 0 ? null : row.isNullAt(idOrdinal) ? "null" : String.valueOf(InternalRow.getAccessor(idType, true).apply(row, idOrdinal));
      throw new InvalidRowException(tensor.name(), partition, index, id, problem);
    }
    return null;
  }

  private String check(Object values) {
    if (values == null) {
      return "the tensor is null";
    }
    int length = values instanceof double[] d ? d.length : ((float[]) values).length;
    if (shape != null && length != shape.size()) {
      return "tensor of length " + length + " does not match shape " + shape + " (" + shape.size() + " elements)";
    }
    if (length == 0) {
      return "the tensor is empty";
    }
    if (values instanceof double[] d) {
      for (int i = 0; i < d.length; i++) {
        if (!Double.isFinite(d[i])) {
          return "value " + d[i] + " at index " + i + " is not finite";
        }
      }
    } else {
      float[] f = (float[]) values;
      for (int i = 0; i < f.length; i++) {
        if (!Float.isFinite(f[i])) {
          return "value " + f[i] + " at index " + i + " is not finite";
        }
      }
    }
    return null;
  }
}
