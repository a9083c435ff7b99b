package io.sparknorm.sql;

import io.sparknorm.core.NormalizationException.Rule;
import io.sparknorm.core.Normalizer;
import io.sparknorm.core.Shape;
import io.sparknorm.core.TensorValueException;
import java.io.Serializable;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.connector.catalog.functions.ScalarFunction;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * What the library asks of a tensor without normalizing it: the rule it breaks (NULL when it is
 * valid; a null tensor breaks {@code NULL_TENSOR}) as the struct {@link #PROBLEM} of a {@link
 * TensorValueException}'s fields, or the shape a valid tensor suggests when none is given (NULL
 * when it is invalid). The first keeps the rows that {@code skip} keeps and finds a failing row on
 * the error path, where {@link #toException} makes the exception again; the second infers the shape.
 *
 * <p>Internal: public because Spark's generated code calls {@code invoke}, and for
 * {@code io.sparknorm.spark}, which builds it; not part of the API.
 */
public final class TensorCheckFunction implements ScalarFunction<Object>, Serializable {
  private static final long serialVersionUID = 1L;

  /** A rule broken, as a row: the {@link Rule}'s name, the value (or null), the index (-1: none), the reason. */
  public static final StructType PROBLEM = new StructType()
      .add("rule", DataTypes.StringType, false)
      .add("value", DataTypes.StringType, true)
      .add("index", DataTypes.IntegerType, false)
      .add("reason", DataTypes.StringType, false);

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
    TensorValueException problem;
    Object values = null;
    if (tensor == null) {
      problem = TensorValues.nullTensor();
    } else {
      try {
        values = reader.read(tensor);
        problem = TensorValues.problem(values, shape);
        if (problem == null && normalizer != null) {
          String result = values instanceof double[] d ? normalizer.problem(d)
              : values instanceof float[] f ? normalizer.problem(f) : normalizer.problem((long[]) values);
          problem = result == null ? null : new TensorValueException(Rule.NOT_FINITE_RESULT, null, -1, result);
        }
      } catch (TensorValueException e) {
        problem = e;
      }
    }
    if (!naturalShape) {
      return problem == null ? null : new GenericInternalRow(new Object[] {UTF8String.fromString(problem.rule().name()),
          problem.value() == null ? null : UTF8String.fromString(problem.value()), problem.index(),
          UTF8String.fromString(problem.reason())});
    }
    if (problem != null) {
      return null;
    }
    int length = TensorValues.length(values);
    return UnsafeArrayData.fromPrimitiveArray(reader.naturalShape(tensor, length));
  }

  /** The exception a {@link #PROBLEM} row stands for, made again where the row is read (the driver). */
  public static TensorValueException toException(org.apache.spark.sql.Row problem) {
    return new TensorValueException(Rule.valueOf(problem.getString(0)),
        problem.isNullAt(1) ? null : problem.getString(1), problem.getInt(2), problem.getString(3));
  }

  @Override
  public DataType[] inputTypes() {
    return new DataType[] {inputType};
  }

  @Override
  public DataType resultType() {
    return naturalShape ? DataTypes.createArrayType(DataTypes.IntegerType, false) : PROBLEM;
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
