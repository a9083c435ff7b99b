package io.sparknorm.sql;

import io.sparknorm.core.Affine;
import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.Normalizer;
import org.apache.spark.sql.catalyst.InternalRow;

/**
 * Batch norm's normalizer from constant statistics that name only the channels, (C,): they apply
 * to tensors of any spatial size, C x S values. The normalizer of the last length seen is kept.
 */
final class FixedStatistics implements NormalizeFunction.NormalizerSource {
  private static final long serialVersionUID = 1L;

  private final BatchStatistics statistics;
  private final double eps;
  private final Affine affine;
  private final Normalizer channelsOnly;
  private transient Normalizer last;

  FixedStatistics(BatchStatistics statistics, double eps, Affine affine, Normalizer channelsOnly) {
    this.statistics = statistics;
    this.eps = eps;
    this.affine = affine;
    this.channelsOnly = channelsOnly;
  }

  @Override
  public Normalizer forRow(InternalRow row, int length) {
    if (length == channelsOnly.shape().size()) {
      return channelsOnly;
    }
    if (last == null || last.shape().size() != length) {
      last = StatisticsArgument.normalizer(statistics, length, eps, affine);
    }
    return last;
  }
}
