package io.sparknorm.sql;

import org.apache.spark.sql.catalyst.expressions.ApplyFunctionExpression;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.connector.catalog.functions.ScalarFunction;
import scala.collection.immutable.IndexedSeq;
import scala.collection.immutable.Seq;

/**
 * Spark's expression for a scalar function, shown by the function's own name: a column reads
 * {@code layer_norm(features, 3)}, not {@code applyfunctionexpression(...)}.
 */
final class NamedFunctionExpression extends ApplyFunctionExpression {
  private static final long serialVersionUID = 1L;

  NamedFunctionExpression(ScalarFunction<?> function, Seq<Expression> children) {
    super(function, children);
  }

  @Override
  public String prettyName() {
    return function().name();
  }

  @Override
  public Expression withNewChildrenInternal(IndexedSeq<Expression> newChildren) {
    return new NamedFunctionExpression(function(), newChildren);
  }
}
