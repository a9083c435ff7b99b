package io.sparknorm.sql;

import io.sparknorm.core.ExactMoments;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.BoundReference;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.aggregate.V2Aggregator;
import scala.collection.immutable.IndexedSeq;
import scala.collection.immutable.Seq;

/**
 * Spark's aggregate for {@link BatchNormStatsFunction}: shown by the function's name
 * ({@code batch_norm_stats(features, 3)}, not {@code v2aggregator(...)}), and shipping its partial
 * states in their own byte form ({@link ExactMoments#toBytes()}). Spark's default for a V2
 * aggregate is Java serialization through Spark's own class loader, which cannot see classes of a
 * jar given with {@code --jars} or as the application.
 */
final class BatchNormStatsAggregate extends V2Aggregator<ExactMoments, Object> {
  private static final long serialVersionUID = 1L;

  BatchNormStatsAggregate(BatchNormStatsFunction function, Seq<Expression> children, int mutableOffset,
      int inputOffset) {
    super(function, children, mutableOffset, inputOffset);
  }

  private BatchNormStatsFunction function() {
    return (BatchNormStatsFunction) aggrFunc();
  }

  @Override
  public String prettyName() {
    return aggrFunc().name();
  }

  /**
   * Reads the tensor straight from Spark's input row. Spark's own update first copies every
   * argument into a new row (the tensor's bytes once more, and the constant shape text), which the
   * function reads only to copy the tensor again into a primitive array.
   */
  @Override
  public ExactMoments update(ExactMoments state, InternalRow input) {
    Expression tensor = children().head();
    if (tensor instanceof BoundReference bound) {
      return function().update(state, input, bound.ordinal());
    }
    return function().update(state, new GenericInternalRow(new Object[] {tensor.eval(input)}), 0);
  }

  @Override
  public byte[] serialize(ExactMoments state) {
    return state.toBytes();
  }

  @Override
  public ExactMoments deserialize(byte[] bytes) {
    return ExactMoments.fromBytes(bytes);
  }

  @Override
  public Expression withNewChildrenInternal(IndexedSeq<Expression> newChildren) {
    return new BatchNormStatsAggregate(function(), newChildren, mutableAggBufferOffset(), inputAggBufferOffset());
  }

  @Override
  public V2Aggregator<ExactMoments, Object> withNewMutableAggBufferOffset(int offset) {
    return new BatchNormStatsAggregate(function(), children(), offset, inputAggBufferOffset());
  }

  @Override
  public V2Aggregator<ExactMoments, Object> withNewInputAggBufferOffset(int offset) {
    return new BatchNormStatsAggregate(function(), children(), mutableAggBufferOffset(), offset);
  }
}
