package io.sparknorm.sql;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.Literal;
import org.apache.spark.sql.catalyst.expressions.objects.Invoke;
import org.apache.spark.sql.connector.catalog.functions.ScalarFunction;
import org.apache.spark.sql.types.AbstractDataType;
import org.apache.spark.sql.types.ObjectType;
import scala.collection.immutable.IndexedSeq;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;

/**
 * A scalar function of this project as a Catalyst expression that Spark compiles into its
 * generated code: Spark's {@link Invoke} of the function's {@code invoke} method on the arguments
 * it reads per row (the tensor, and batch norm's statistics when they are a column). Spark's own
 * expression for a scalar function is interpreted, so the plan around it leaves whole-stage code
 * generation and every row is first copied out of Parquet's column batches; this call reads the
 * tensor straight from the batch.
 *
 * <p>The constant arguments (shape, eps, weight, bias) were used when the function was built; they
 * are kept only to show the call as written: {@code layer_norm(features, 3,32,32)}.
 */
final class FunctionCall extends Invoke {
  private static final long serialVersionUID = 1L;

  private final List<Expression> constants;

  /**
   * @param function the function, with public {@code invoke} methods taking {@code perRow} objects
   * @param arguments every argument as written; the first {@code perRow} are read per row
   */
  FunctionCall(ScalarFunction<?> function, List<Expression> arguments, int perRow) {
    this(Literal.create(function, new ObjectType(function.getClass())), function, arguments.subList(0, perRow),
        arguments.subList(perRow, arguments.size()));
  }

  private FunctionCall(Expression target, ScalarFunction<?> function, List<Expression> perRow,
      List<Expression> constants) {
    super(target, "invoke", function.resultType(), seq(perRow), seq(List.<AbstractDataType>of()), false,
        function.isResultNullable(), function.isDeterministic());
    this.constants = List.copyOf(constants);
  }

  private static <T> Seq<T> seq(List<T> list) {
    return CollectionConverters.asScala(list).toSeq();
  }

  private ScalarFunction<?> function() {
    return (ScalarFunction<?>) ((Literal) targetObject()).value();
  }

  @Override
  public String prettyName() {
    return function().name();
  }

  /** The call as written; Spark also names an unaliased column by it. */
  @Override
  public String toString() {
    List<String> shown = new ArrayList<>();
    CollectionConverters.asJava(arguments()).forEach(a -> shown.add(a.toString()));
    constants.forEach(c -> shown.add(c.toString()));
    return prettyName() + "(" + String.join(", ", shown) + ")";
  }

  @Override
  public Invoke withNewChildrenInternal(IndexedSeq<Expression> newChildren) {
    List<Expression> children = CollectionConverters.asJava(newChildren);
    return new FunctionCall(children.get(0), function(), children.subList(1, children.size()), constants);
  }
}
