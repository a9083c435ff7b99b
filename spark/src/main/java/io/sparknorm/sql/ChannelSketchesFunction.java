package io.sparknorm.sql;

import io.sparknorm.core.ChannelSketches;
import io.sparknorm.core.Shape;
import io.sparknorm.core.TensorValueException;
import java.io.Serializable;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.connector.catalog.functions.AggregateFunction;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

/**
 * Per-channel sketches of a tensor column ({@link ChannelSketches}: quantiles, min, max, zeros,
 * non-finite values, central moments) as a Spark aggregate with partial aggregation, returning the
 * merged state's bytes ({@link ChannelSketches#toBytes()}). What the job's report is drawn from:
 * observed beside the statistics pass or the write, so it costs no pass of its own.
 *
 * <p>It only looks: a null tensor, one that cannot be read or one of another length than the shape
 * is passed over. Of an input it sketches exactly the rows the statistics are over: a tensor with a
 * NaN or infinite value is passed over whole, as the statistics pass it over. Of an output, every
 * value written: NaN and infinities are counted. Not a SQL function.
 *
 * <p>Internal: public only for {@code io.sparknorm.spark} (its report's sketch columns); not part
 * of the API.
 */
public final class ChannelSketchesFunction implements AggregateFunction<ChannelSketches, Object>, Serializable {
  private static final long serialVersionUID = 1L;

  /** How it reads in Spark's plans. */
  static final String NAME = "channel_sketches";

  private final DataType[] inputTypes;
  private final TensorReader reader;
  private final Shape shape;
  private final boolean validOnly;

  /**
   * {@code validOnly}: true for an input (only the tensors {@link TensorReader#problem} finds no
   * fault with), false for a normalized output (every value written, NaN and infinities counted).
   */
  public ChannelSketchesFunction(DataType inputType, TensorReader reader, Shape shape, boolean validOnly) {
    this.inputTypes = new DataType[] {inputType};
    this.reader = reader;
    this.shape = shape;
    this.validOnly = validOnly;
  }

  @Override
  public ChannelSketches newAggregationState() {
    return new ChannelSketches(shape);
  }

  @Override
  public ChannelSketches update(ChannelSketches state, InternalRow arguments) {
    if (arguments.isNullAt(0)) {
      return state;
    }
    Object values;
    try {
      values = reader.read(arguments, 0);
    } catch (TensorValueException e) {
      return state;
    }
    if (validOnly && TensorValues.problem(values, shape) != null) {
      return state;
    }
    if (values instanceof long[]) {
      values = TensorValues.toDoubles(values); // the sketches hold doubles
    }
    if (values instanceof double[] d) {
      return d.length == shape.size() ? state.update(d) : state;
    }
    float[] f = (float[]) values;
    return f.length == shape.size() ? state.update(f) : state;
  }

  @Override
  public ChannelSketches merge(ChannelSketches left, ChannelSketches right) {
    return left.merge(right);
  }

  @Override
  public Object produceResult(ChannelSketches state) {
    return state.toBytes();
  }

  @Override
  public DataType[] inputTypes() {
    return inputTypes.clone();
  }

  @Override
  public DataType resultType() {
    return DataTypes.BinaryType;
  }

  @Override
  public boolean isResultNullable() {
    return false;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String canonicalName() {
    return "sparknorm." + NAME;
  }

  @Override
  public String toString() {
    return canonicalName();
  }
}
