package io.sparknorm.sql;

import io.sparknorm.core.ChannelSketches;
import io.sparknorm.core.ProfileSet;
import io.sparknorm.core.Shape;
import io.sparknorm.core.StatisticsProfile;
import java.io.Serializable;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.connector.catalog.functions.AggregateFunction;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * {@code tensor_profile(tensor, shape)}: the profile of a tensor column as a Spark aggregate with
 * partial aggregation, the JSON of {@link ProfileSet} (one population, no keys; GROUP BY gives one
 * per group). The state is the report's {@link ChannelSketches} of the valid tensors, as the library
 * profiles the rows its statistics are over: a NULL tensor, one that cannot be read, of another
 * length than the shape, or holding NaN or an infinity, is passed over. The mean and variance are the
 * sketches' moments. No valid tensor gives NULL.
 */
final class TensorProfileFunction implements AggregateFunction<ChannelSketches, Object>, Serializable {
  private static final long serialVersionUID = 1L;

  /** The SQL name. */
  static final String NAME = "tensor_profile";

  private final DataType[] inputTypes;
  private final ChannelSketchesFunction sketches;

  TensorProfileFunction(DataType[] inputTypes, TensorReader reader, Shape shape) {
    this.inputTypes = inputTypes.clone();
    this.sketches = new ChannelSketchesFunction(inputTypes[0], reader, shape, true);
  }

  @Override
  public ChannelSketches newAggregationState() {
    return sketches.newAggregationState();
  }

  @Override
  public ChannelSketches update(ChannelSketches state, InternalRow arguments) {
    return sketches.update(state, arguments);
  }

  @Override
  public ChannelSketches merge(ChannelSketches left, ChannelSketches right) {
    return left.merge(right);
  }

  @Override
  public Object produceResult(ChannelSketches state) {
    if (state.count() == 0) {
      return null;
    }
    return UTF8String.fromString(ProfileSet.of(StatisticsProfile.of(state, null)).toJson());
  }

  @Override
  public DataType[] inputTypes() {
    return inputTypes.clone();
  }

  @Override
  public DataType resultType() {
    return DataTypes.StringType;
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
