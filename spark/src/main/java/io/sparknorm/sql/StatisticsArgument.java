package io.sparknorm.sql;

import io.sparknorm.core.Affine;
import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.Normalizer;
import io.sparknorm.core.NormalizationException.Rule;
import io.sparknorm.core.Shape;
import io.sparknorm.core.TensorValueException;
import java.util.Arrays;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.StructType;

/**
 * Batch norm's normalizer from a statistics argument that is not a constant: a column of a join
 * with {@code batch_norm_stats} (per key, say) or a scalar subquery. The normalizer is rebuilt only
 * when the statistics or the tensor length change from the previous row, so a run of rows with the
 * same statistics costs one comparison of the mean and variance each.
 */
final class StatisticsArgument implements NormalizeFunction.NormalizerSource {
  private static final long serialVersionUID = 1L;

  private final StructType type;
  private final double eps;
  private final Affine affine;
  private transient BatchStatistics last;
  private transient int lastLength;
  private transient Normalizer lastNormalizer;

  StatisticsArgument(StructType type, double eps, Affine affine) {
    this.type = type;
    this.eps = eps;
    this.affine = affine;
  }

  @Override
  public Normalizer forRow(InternalRow row, int length) {
    if (row == null) {
      return null;
    }
    BatchStatistics statistics = StatisticsStruct.fromRow(row, type);
    if (lastNormalizer != null && length == lastLength && same(statistics, last)) {
      return lastNormalizer;
    }
    lastNormalizer = normalizer(statistics, length, eps, affine);
    last = statistics;
    lastLength = length;
    return lastNormalizer;
  }

  @Override
  public boolean readsStatistics() {
    return true;
  }

  /**
   * Batch norm with these statistics for tensors of this length: of the statistics' own shape, or,
   * when they name only the channels (C,), of shape (C, length / C).
   *
   * @throws TensorValueException when the length does not fit the channels
   */
  static Normalizer normalizer(BatchStatistics statistics, int length, double eps, Affine affine) {
    Shape shape = statistics.shape();
    if (shape.rank() == 1 && length != shape.size()) {
      int channels = shape.channels();
      if (length == 0 || length % channels != 0) {
        throw new TensorValueException(Rule.LENGTH, Integer.toString(length), -1, "tensor of length " + length
            + " is not a whole number of the " + channels + " channels of the statistics");
      }
      shape = Shape.of(channels, length / channels);
    }
    return io.sparknorm.core.Normalizers.batch(statistics.shape().equals(shape) ? statistics
        : new BatchStatistics(shape, statistics.count(), statistics.mean(), statistics.meanResidual(),
            statistics.variance(), statistics.unbiasedVariance()), eps, affine);
  }

  private static boolean same(BatchStatistics a, BatchStatistics b) {
    return a.shape().equals(b.shape()) && Arrays.equals(a.mean(), b.mean()) && Arrays.equals(a.variance(), b.variance())
        && Arrays.equals(a.meanResidual(), b.meanResidual());
  }
}
