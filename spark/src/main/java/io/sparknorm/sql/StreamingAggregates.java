package io.sparknorm.sql;

import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.plans.logical.Aggregate;
import org.apache.spark.sql.catalyst.plans.logical.EventTimeWatermark;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import scala.runtime.BoxedUnit;

/**
 * The check that {@link SparknormExtensions} adds to each session's analyzer: {@code batch_norm_stats}
 * (and {@code tensor_profile}, for the same reason) in a streaming aggregation is allowed only per event-time window (or other grouping on a column
 * with a watermark), where each group's statistics are final once the watermark passes it and are
 * those of exactly its rows. Over a whole stream (no grouping, or keys only) the statistics never
 * finish: append mode cannot emit them (Spark refuses such a query when it starts), and complete or
 * update mode would rewrite running totals after every micro-batch. The output mode is set when the
 * query starts, after analysis, so this check cannot see it: such an aggregation is refused in any
 * mode, when the query is analyzed, naming the function and what to do instead.
 */
final class StreamingAggregates {
  static final String WHOLE_STREAM = "aggregated over a stream without an event-time window: the statistics of a"
      + " whole stream never finish. Fit them on a batch read of the same data (spark.read) and give them to"
      + " batch_norm on the stream; or group by an event-time window over a watermarked column"
      + " (withWatermark, GROUP BY window(ts, ...)) for each window's statistics; or use the job's --stream"
      + " --momentum for running statistics";

  static final String WHOLE_STREAM_PROFILE = "aggregated over a stream without an event-time window: the profile of"
      + " a whole stream never finishes. Profile a batch read of the same data (spark.read); or group by an"
      + " event-time window over a watermarked column (withWatermark, GROUP BY window(ts, ...)) for each window's"
      + " profile";

  private StreamingAggregates() {}

  /**
   * Throws {@link StreamingInputException} for a streaming aggregation of {@code batch_norm_stats} or
   * {@code tensor_profile} without a window.
   */
  static BoxedUnit check(LogicalPlan plan) {
    if (!plan.isStreaming()) {
      return BoxedUnit.UNIT;
    }
    plan.foreach(node -> {
      if (node instanceof Aggregate aggregate && aggregate.isStreaming() && !watermarked(aggregate)) {
        if (aggregate.aggregateExpressions().exists(e -> ((Expression) e).exists(StreamingAggregates::isStatistics))) {
          throw new StreamingInputException(BatchNormStatsFunction.NAME, WHOLE_STREAM);
        }
        if (aggregate.aggregateExpressions().exists(e -> ((Expression) e).exists(StreamingAggregates::isProfile))) {
          throw new StreamingInputException(TensorProfileFunction.NAME, WHOLE_STREAM_PROFILE);
        }
      }
      return BoxedUnit.UNIT;
    });
    return BoxedUnit.UNIT;
  }

  private static boolean isStatistics(Expression expression) {
    return expression instanceof BatchNormStatsAggregate;
  }

  private static boolean isProfile(Expression expression) {
    return expression instanceof ChannelSketchesAggregate aggregate
        && aggregate.aggrFunc() instanceof TensorProfileFunction;
  }

  /** A grouping on an event-time column: Spark marks a watermarked column, and a window over one, in its metadata. */
  private static boolean watermarked(Aggregate aggregate) {
    return aggregate.groupingExpressions().exists(e -> e.references().exists(
        attribute -> attribute.metadata().contains(EventTimeWatermark.delayKey())));
  }
}
