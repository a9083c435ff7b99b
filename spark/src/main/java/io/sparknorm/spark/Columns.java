package io.sparknorm.spark;

import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.classic.ClassicConversions$;
import org.apache.spark.sql.classic.ColumnConversions$;

/**
 * Between Spark's {@link Column} and Catalyst's {@link Expression}, through the conversions Spark
 * offers extension developers ({@code org.apache.spark.sql.classic}, a developer API): the library
 * puts sparknorm's expressions into ordinary columns, so a normalized frame is one logical plan.
 */
final class Columns {
  private Columns() {}

  /** The Catalyst expression of a column (unresolved until its frame is analyzed). */
  static Expression expression(Column column) {
    return ColumnConversions$.MODULE$.expression(column);
  }

  static List<Expression> expressions(Column... columns) {
    return java.util.Arrays.stream(columns).map(Columns::expression).toList();
  }

  /** A column holding a Catalyst expression. */
  static Column column(Expression expression) {
    return ClassicConversions$.MODULE$.ColumnConstructorExt(org.apache.spark.sql.Column$.MODULE$).apply(expression);
  }
}
