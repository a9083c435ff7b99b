package io.sparknorm.sql;

import org.apache.spark.sql.SparkSessionExtensions;
import org.apache.spark.sql.catalyst.FunctionIdentifier;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import scala.Function1;
import scala.Tuple3;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.BoxedUnit;

/**
 * Registers sparknorm's SQL functions (the list in {@code SqlFunctions}) in every session that names
 * this class in {@code spark.sql.extensions}:
 *
 * <pre>
 *   spark-submit --jars sparknorm-job.jar --conf spark.sql.extensions=io.sparknorm.sql.SparknormExtensions ...
 * </pre>
 *
 * Functions are injected per session: no global registry is touched, nothing runs at class load.
 * With them goes one check of the analyzer: {@code batch_norm_stats} (or {@code tensor_profile}) over a
 * whole stream, without an event-time window, is refused with a {@link StreamingInputException} ({@code StreamingAggregates}).
 */
public final class SparknormExtensions implements Function1<SparkSessionExtensions, BoxedUnit> {

  @Override
  public BoxedUnit apply(SparkSessionExtensions extensions) {
    for (SqlFunctions.Definition definition : SqlFunctions.all()) {
      Function1<Seq<Expression>, Expression> builder =
          args -> definition.builder().apply(CollectionConverters.asJava(args));
      extensions.injectFunction(new Tuple3<>(FunctionIdentifier.apply(definition.name()), definition.info(), builder));
    }
    Function1<LogicalPlan, BoxedUnit> check = StreamingAggregates::check;
    extensions.injectCheckRule(session -> check);
    return BoxedUnit.UNIT;
  }
}
