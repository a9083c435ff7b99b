package io.sparknorm.sql;

import java.io.Serializable;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.aggregate.V2Aggregator;
import org.apache.spark.sql.connector.catalog.functions.AggregateFunction;
import scala.collection.immutable.IndexedSeq;
import scala.collection.immutable.Seq;

/**
 * Spark's aggregate for an aggregate function, shown by the function's own name
 * ({@code batch_norm_stats(features, 3)}, not {@code v2aggregator(...)}).
 */
final class NamedAggregate<S extends Serializable, R> extends V2Aggregator<S, R> {
  private static final long serialVersionUID = 1L;

  NamedAggregate(AggregateFunction<S, R> function, Seq<Expression> children, int mutableOffset, int inputOffset) {
    super(function, children, mutableOffset, inputOffset);
  }

  @Override
  public String prettyName() {
    return aggrFunc().name();
  }

  @Override
  public Expression withNewChildrenInternal(IndexedSeq<Expression> newChildren) {
    return new NamedAggregate<>(aggrFunc(), newChildren, mutableAggBufferOffset(), inputAggBufferOffset());
  }

  @Override
  public V2Aggregator<S, R> withNewMutableAggBufferOffset(int offset) {
    return new NamedAggregate<>(aggrFunc(), children(), offset, inputAggBufferOffset());
  }

  @Override
  public V2Aggregator<S, R> withNewInputAggBufferOffset(int offset) {
    return new NamedAggregate<>(aggrFunc(), children(), mutableAggBufferOffset(), offset);
  }
}
