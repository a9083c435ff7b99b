package io.sparknorm.job;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.RunningStatistics;
import io.sparknorm.core.Shape;
import io.sparknorm.spark.CountedStatistics;
import io.sparknorm.spark.KeyedStatistics;
import io.sparknorm.spark.NormalizationResult;
import io.sparknorm.spark.NormalizeSpec;
import io.sparknorm.spark.RowCount;
import io.sparknorm.spark.StatisticsFiles;
import io.sparknorm.spark.TensorNormalization;
import java.io.IOException;
import java.util.Arrays;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * What the job writes to {@code --stats-out}: the statistics over all rows, per key with
 * {@code --by}, the running statistics of a mini-batch replay with {@code --batch-size}, and how
 * they were made ({@code scale}, {@code channel_order} for images).
 */
final class JobStatistics {
  private final BatchStatistics statistics;
  private final KeyedStatistics keyed;
  private final double scale;
  private final Consumer<ObjectNode> replay;

  private JobStatistics(BatchStatistics statistics, KeyedStatistics keyed, double scale, Consumer<ObjectNode> replay) {
    this.statistics = statistics;
    this.keyed = keyed;
    this.scale = scale;
    this.replay = replay;
  }

  /** Statistics and the row counts of the one pass that fitted them ({@code --stats-only}). */
  record Fitted(JobStatistics statistics, NormalizationResult.Counts counts) {}

  /**
   * {@code --stats-only}: the statistics (per key with --by, scaled with --scale) in one pass over
   * the data that also counts its rows; no data is written.
   */
  static Fitted fit(Dataset<Row> data, NormalizeSpec spec) {
    // The shape first (one small job when not given), so that the pass below is the only one counted.
    Shape shape = TensorNormalization.shapeOf(data, spec);
    spec.shape(shape);
    JobStatistics statistics;
    long rowsIn;
    if (spec.by() != null) {
      RowCount rows = new RowCount(data);
      KeyedStatistics keyed = TensorNormalization.fitKeyedStatistics(rows.frame(), spec);
      statistics = new JobStatistics(keyed.global(), keyed, spec.statisticsScale(), null);
      rowsIn = rows.rows();
    } else {
      CountedStatistics fitted = TensorNormalization.fitStatisticsCountingRows(data, spec);
      statistics = new JobStatistics(fitted.statistics(), null, spec.statisticsScale(), null);
      rowsIn = fitted.rows();
    }
    // Each valid row adds its spatial size of values to every channel; the other rows are left out.
    long validRows = statistics.statistics.count() / (shape.size() / shape.channels());
    return new Fitted(statistics, new NormalizationResult.Counts(rowsIn, rowsIn - validRows, 0));
  }

  /** The statistics a normalization used: fitted or given, per key when it had keys. */
  static JobStatistics of(NormalizationResult result) {
    return new JobStatistics(result.statistics(), result.keyedStatistics(), 1.0, null);
  }

  /**
   * A mini-batch replay's: {@code mean} and {@code var} are the final running statistics (what
   * {@code --stats-in} normalizes with, PyTorch's evaluation mode), also under PyTorch's state-dict
   * names {@code running_mean}, {@code running_var} and {@code num_batches_tracked}: the
   * {@code batchesBefore} of the state it started from and this replay's batches, as PyTorch counts.
   */
  static JobStatistics replayed(RunningStatistics running, long values, int batchSize, String orderBy,
      double momentum, long batchesBefore) {
    BatchStatistics final_ = running.toStatistics();
    BatchStatistics statistics = new BatchStatistics(final_.shape(), values, final_.mean(), final_.meanResidual(),
        final_.variance(), final_.unbiasedVariance(), "running-momentum");
    return new JobStatistics(statistics, null, 1.0, root -> {
      putArray(root, "running_mean", running.runningMean());
      putArray(root, "running_var", running.runningVar());
      root.put("num_batches_tracked", batchesBefore + running.batches());
      root.put("momentum", momentum);
      root.put("batch_size", batchSize);
      if (orderBy != null) {
        root.put("order_by", orderBy);
      }
    });
  }

  /**
   * A stream's running statistics after micro-batch {@code batchId}, with the keys of a replay's
   * ({@link #replayed}: {@code mean} and {@code var} are the running statistics, also under PyTorch's names) and
   * {@code batch_id} and {@code rows_seen}; {@code momentum} is null for none, whose {@code count}, {@code mean} and
   * {@code mean_residual} are the exact ones of every value seen (the start's included).
   */
  static JobStatistics streamed(RunningState state, long batchId) {
    Shape shape = state.shape();
    double[] mean = state.runningMean();
    double[] var = state.runningVar();
    BatchStatistics statistics;
    if (state.momentum() == null && state.moments().count() > 1) {
      BatchStatistics exact = state.moments().statistics();
      statistics = new BatchStatistics(shape, exact.count(), mean, exact.meanResidual(), var, var, "running-exact");
    } else {
      double[] unknown = new double[mean.length];
      Arrays.fill(unknown, Double.NaN);
      long values = state.momentum() == null ? 0 : state.rows() * (shape.size() / shape.channels());
      statistics = new BatchStatistics(shape, values, mean, new double[mean.length], var, unknown,
          state.momentum() == null ? "running-exact" : "running-momentum");
    }
    return new JobStatistics(statistics, null, 1.0, root -> {
      putArray(root, "running_mean", mean);
      putArray(root, "running_var", var);
      root.put("num_batches_tracked", state.batches());
      if (state.momentum() == null) {
        root.putNull("momentum");
      } else {
        root.put("momentum", state.momentum());
      }
      root.put("batch_id", batchId);
      root.put("rows_seen", state.rows());
    });
  }

  /**
   * Where a replay's running statistics start, from a --stats-in file that has PyTorch's
   * {@code running_mean} and {@code running_var} (their lengths and values checked as the file was read).
   */
  static BatchStatistics startingPoint(StatisticsFiles.Contents file) {
    double[] mean = file.runningMean();
    double[] variance = file.runningVar();
    double[] unknown = new double[mean.length];
    Arrays.fill(unknown, Double.NaN);
    Shape shape = file.shape() != null ? file.shape() : Shape.of(mean.length);
    return new BatchStatistics(shape, 0, mean, variance, unknown);
  }

  /** The statistics over all rows (per key: the global ones; a replay: the final running ones). */
  BatchStatistics overAllRows() {
    return statistics;
  }

  /** Writes the statistics file (the staging copy; the job moves it into place). */
  void write(double eps, boolean image, Path file, Configuration conf) throws IOException {
    StatisticsFiles.write(statistics, eps, keyed, root -> {
      if (scale != 1.0) {
        root.put("scale", scale);
      }
      if (image && statistics.shape().channels() >= 3) {
        // Spark's image source keeps OpenCV's order; torchvision's Normalize wants RGB: reverse the lists.
        root.put("channel_order", statistics.shape().channels() == 3 ? "BGR" : "BGRA");
      }
      if (replay != null) {
        replay.accept(root);
      }
    }, file, conf);
  }

  private static void putArray(ObjectNode root, String key, double[] values) {
    ArrayNode array = root.putArray(key);
    for (double v : values) {
      array.add(v);
    }
  }
}
