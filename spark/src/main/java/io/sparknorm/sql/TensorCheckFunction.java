package io.sparknorm.sql;

import io.sparknorm.core.Normalizer;
import io.sparknorm.core.Shape;
import java.io.Serializable;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.connector.catalog.functions.ScalarFunction;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * What the library asks of a tensor without normalizing it: the rule it breaks (a string, NULL
 * when it is valid; a null tensor breaks "the tensor is null"), or the shape a valid tensor
 * suggests when none is given (NULL when it is invalid). The first keeps the rows that
 * {@code skip} keeps and finds a failing row on the error path; the second infers the shape.
 *
 * <p>Internal: public because Spark's generated code calls {@code invoke}, and for
 * {@code io.sparknorm.spark}, which builds it; not part of the API.
 */
public final class TensorCheckFunction implements ScalarFunction<Object>, Serializable {
  private static final long serialVersionUID = 1L;

  private final DataType inputType;
  private final TensorReader reader;
  private final Shape shape;
  private final boolean naturalShape;
  /** Also asked, when set, for the rule its normalizing would break ({@link Normalizer#problem}). */
  private Normalizer normalizer;

  private TensorCheckFunction(DataType inputType, TensorReader reader, Shape shape, boolean naturalShape) {
    this.inputType = inputType;
    this.reader = reader;
    this.shape = shape;
    this.naturalShape = naturalShape;
  }

  /**
   * The rule a tensor of the normalizer's shape breaks, its normalizing included (a constant segment
   * with eps 0), or NULL; a null normalizer asks only {@link #problem(TensorReader, Shape)}'s rules.
   */
  public static TensorCheckFunction problem(TensorReader reader, Shape shape, Normalizer normalizer) {
    TensorCheckFunction check = problem(reader, shape);
    check.normalizer = normalizer;
    return check;
  }

  /** The rule a tensor of this shape (any non-empty length when null) breaks, or NULL. */
  public static TensorCheckFunction problem(TensorReader reader, Shape shape) {
    return new TensorCheckFunction(reader.type(), reader, shape, false);
  }

  /** The shape a valid tensor suggests: (length,), or (channels, height, width) for an image. */
  public static TensorCheckFunction naturalShape(TensorReader reader) {
    return new TensorCheckFunction(reader.type(), reader, null, true);
  }

  /** The rule the tensor breaks, or its natural shape (Spark's generated code calls this). */
  public Object invoke(Object tensor) {
    String problem;
    Object values = null;
    if (tensor == null) {
      problem = TensorReader.NULL_TENSOR;
    } else {
      try {
        values = reader.read(tensor);
        problem = TensorReader.problem(values, shape);
        if (problem == null && normalizer != null) {
          problem = values instanceof double[] d ? normalizer.problem(d)
              : values instanceof float[] f ? normalizer.problem(f) : normalizer.problem((long[]) values);
        }
      } catch (TensorReader.InvalidValueException e) {
        problem = e.getMessage();
      }
    }
    if (!naturalShape) {
      return problem == null ? null : UTF8String.fromString(problem);
    }
    if (problem != null) {
      return null;
    }
    int length = TensorReader.length(values);
    return UnsafeArrayData.fromPrimitiveArray(reader.naturalShape(tensor, length));
  }

  @Override
  public DataType[] inputTypes() {
    return new DataType[] {inputType};
  }

  @Override
  public DataType resultType() {
    return naturalShape ? DataTypes.createArrayType(DataTypes.IntegerType, false) : DataTypes.StringType;
  }

  @Override
  public String name() {
    return naturalShape ? "tensor_shape" : "tensor_problem";
  }

  @Override
  public String canonicalName() {
    return "sparknorm." + name();
  }

  /** How the function reads in Spark's plans: {@code sparknorm.<name>}. */
  @Override
  public String toString() {
    return canonicalName();
  }
}
