package io.sparknorm.sql;

import io.sparknorm.core.ChannelSketches;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.aggregate.V2Aggregator;
import org.apache.spark.sql.connector.catalog.functions.AggregateFunction;
import scala.collection.immutable.IndexedSeq;
import scala.collection.immutable.Seq;

/**
 * Spark's aggregate for {@link ChannelSketchesFunction} and {@link TensorProfileFunction} (both over
 * {@link ChannelSketches}), shipping partial states in their own byte form, as
 * {@link BatchNormStatsAggregate} does and for the same reason (class loading).
 */
final class ChannelSketchesAggregate extends V2Aggregator<ChannelSketches, Object> {
  private static final long serialVersionUID = 1L;

  ChannelSketchesAggregate(AggregateFunction<ChannelSketches, Object> function, Seq<Expression> children, int mutableOffset,
      int inputOffset) {
    super(function, children, mutableOffset, inputOffset);
  }

  @SuppressWarnings("unchecked")
  private AggregateFunction<ChannelSketches, Object> function() {
    return (AggregateFunction<ChannelSketches, Object>) aggrFunc();
  }

  @Override
  public String prettyName() {
    return aggrFunc().name();
  }

  /**
   * Serialized as a fresh copy: V2Aggregator keeps the input projection it builds on first use in
   * a field that Java serialization would try to write, which fails when the aggregate itself is
   * shipped after use (Dataset.observe's accumulator sends it back from the executors).
   */
  private Object writeReplace() {
    return new ChannelSketchesAggregate(function(), children(), mutableAggBufferOffset(), inputAggBufferOffset());
  }

  @Override
  public byte[] serialize(ChannelSketches state) {
    return state.toBytes();
  }

  @Override
  public ChannelSketches deserialize(byte[] bytes) {
    return ChannelSketches.fromBytes(bytes);
  }

  @Override
  public Expression withNewChildrenInternal(IndexedSeq<Expression> newChildren) {
    return new ChannelSketchesAggregate(function(), newChildren, mutableAggBufferOffset(), inputAggBufferOffset());
  }

  @Override
  public V2Aggregator<ChannelSketches, Object> withNewMutableAggBufferOffset(int offset) {
    return new ChannelSketchesAggregate(function(), children(), offset, inputAggBufferOffset());
  }

  @Override
  public V2Aggregator<ChannelSketches, Object> withNewInputAggBufferOffset(int offset) {
    return new ChannelSketchesAggregate(function(), children(), mutableAggBufferOffset(), offset);
  }
}
