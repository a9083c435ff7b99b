package io.sparknorm.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.NormMethod;
import io.sparknorm.core.NormalizationException;
import io.sparknorm.core.Shape;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Batch norm's statistics file, on any Hadoop file system:
 * {@code {"method": "batch", "shape": [...], "eps": ..., "count": ..., "mean": [...], "var": [...],
 * "var_unbiased": [...], "mean_residual": [...], "std": [...], "algorithm": "exact-sums"}}; with
 * statistics per key also {@code "by": [columns], "keys": [{"key": {column: value}, "count": ...,
 * "mean": [...], ...}]}, the top-level statistics being those over all rows. Unknown keys are
 * ignored, so a file from a PyTorch model's {@code running_mean} and {@code running_var} put under
 * {@code mean} and {@code var} will do. Every known key present is checked ({@link StatisticsFileRules}).
 */
public final class StatisticsFiles {
  private StatisticsFiles() {}

  /**
   * What a statistics file holds: the top-level statistics (null when a per-key file has none),
   * the eps it was written with (or null), the statistics per key (or null), PyTorch's
   * {@code running_mean} and {@code running_var} (or null), the shape the file states at the top or
   * in a key's entry (or null: its statistics then have shape (C,)), and PyTorch's
   * {@code num_batches_tracked} (or null).
   */
  public record Contents(BatchStatistics statistics, Double eps, KeyedStatistics keyed, double[] runningMean,
      double[] runningVar, Shape shape, Long numBatchesTracked) {}

  /** Everything the file holds; see {@link Contents}. */
  public static Contents read(String file, Configuration conf, String what) {
    JsonNode root = JsonFiles.read(file, conf, what);
    if (!root.isObject()) {
      throw new IllegalArgumentException(what + " " + file + ": expected a JSON object with mean and var");
    }
    if (root.has("method") && !NormMethod.BATCH.id().equals(root.get("method").asText())) {
      throw new IllegalArgumentException(what + " " + file + ": method is '" + root.get("method").asText()
          + "', expected 'batch'");
    }
    String prefix = what + " " + file + ": ";
    Shape shape = statedShape(root, file, what);
    KeyedStatistics keyed = root.has("keys") ? keyed(root, file, what) : null;
    // A per-key file may have no statistics over all rows, a replay's starting point only running_mean/running_var.
    BatchStatistics statistics = root.has("mean") || root.has("var") ? statistics(root, file, what, "") : null;
    if (keyed != null && statistics != null) {
      keyed = new KeyedStatistics(keyed.keyColumns(), keyed.entries(), statistics);
    }
    if (shape != null && statistics != null && shape.channels() != statistics.shape().channels()) {
      throw new IllegalArgumentException(prefix + "shape " + shape + " has " + shape.channels()
          + " channels but mean has " + statistics.shape().channels() + " values");
    }
    Double eps = StatisticsFileRules.eps(root, prefix);
    double[] runningMean = JsonFiles.numbers(root, "running_mean", file, what, false, false);
    double[] runningVar = JsonFiles.numbers(root, "running_var", file, what, false, false);
    BatchStatistics any = statistics != null ? statistics
        : keyed != null && !keyed.entries().isEmpty() ? keyed.entries().get(0).statistics() : null;
    StatisticsFileRules.running(runningMean, runningVar, any != null ? (Integer) any.shape().channels()
        : shape != null ? (Integer) shape.channels() : null, prefix);
    Long batches = StatisticsFileRules.wholeNumber(root, "num_batches_tracked", prefix);
    return new Contents(statistics, eps, keyed, runningMean, runningVar, shape, batches);
  }

  /**
   * The one shape the file states: at the top, else in the keys' entries, every one stated the same (an entry without
   * one takes the top one's).
   */
  private static Shape statedShape(JsonNode root, String file, String what) {
    Shape shape = StatisticsFileRules.shape(root, what + " " + file + ": ");
    String statedBy = "the file's shape";
    JsonNode keys = root.get("keys");
    for (int i = 0; keys != null && keys.isArray() && i < keys.size(); i++) {
      String where = "keys[" + i + "]";
      Shape own = StatisticsFileRules.shape(keys.get(i), what + " " + file + ", " + where + ": ");
      if (own != null && shape != null && !own.equals(shape)) {
        throw new IllegalArgumentException(what + " " + file + ", " + where + ": shape is " + own + ", but " + statedBy
            + " is " + shape);
      }
      if (shape == null && own != null) {
        shape = own;
        statedBy = where + "'s shape";
      }
    }
    return shape;
  }

  /** One set of statistics from an object of the file (the root, or a key's entry named by {@code where}). */
  private static BatchStatistics statistics(JsonNode node, String fileName, String what, String where) {
    String file = where.isEmpty() ? fileName : fileName + ", " + where;
    double[] mean = JsonFiles.numbers(node, "mean", file, what, true, false);
    double[] variance = JsonFiles.numbers(node, "var", file, what, true, false);
    String prefix = what + " " + file + ": ";
    if (mean.length != variance.length || mean.length == 0) {
      throw new IllegalArgumentException(prefix + "mean has " + mean.length + " values and var "
          + variance.length + "; they must have one value per channel");
    }
    Shape shape = StatisticsFileRules.shape(node, prefix);
    if (shape != null && shape.channels() != mean.length) {
      throw new IllegalArgumentException(prefix + "shape " + shape + " has " + shape.channels()
          + " channels but mean has " + mean.length + " values");
    }
    int channels = mean.length;
    // NaN (unknown) is what the writer writes for statistics given without var_unbiased.
    double[] unbiased = StatisticsFileRules.perChannel(node, "var_unbiased", file, what, channels, true);
    if (unbiased == null) {
      unbiased = new double[channels];
      Arrays.fill(unbiased, Double.NaN);
    }
    StatisticsFileRules.atLeastZero(unbiased, "var_unbiased", prefix);
    double[] residual = StatisticsFileRules.perChannel(node, "mean_residual", file, what, channels, false);
    if (residual == null) {
      residual = new double[channels];
    }
    StatisticsFileRules.meanResidual(mean, residual, prefix);
    double[] std = StatisticsFileRules.perChannel(node, "std", file, what, channels, false);
    Long count = StatisticsFileRules.wholeNumber(node, "count", prefix);
    String algorithm = StatisticsFileRules.algorithm(node, prefix);
    BatchStatistics statistics;
    try {
      statistics = new BatchStatistics(shape != null ? shape : Shape.of(channels), count != null ? count : 0, mean,
          residual, variance, unbiased, algorithm);
    } catch (NormalizationException e) {
      throw e.worded(prefix + e.getMessage());
    }
    if (std != null) {
      StatisticsFileRules.std(std, variance, prefix);
    }
    return statistics;
  }

  /** The per-key part: {@code "by"} and {@code "keys"}; the shape of the root applies to keys without one. */
  private static KeyedStatistics keyed(JsonNode root, String file, String what) {
    String prefix = what + " " + file + ": ";
    JsonNode by = root.get("by");
    JsonNode keys = root.get("keys");
    if (by == null || !by.isArray() || by.isEmpty() || !keys.isArray()) {
      throw new IllegalArgumentException(prefix + "'keys' must be an array, with 'by' the array of key columns");
    }
    List<String> columns = new ArrayList<>();
    by.forEach(c -> columns.add(c.asText()));
    List<KeyedStatistics.Entry> entries = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      JsonNode entry = keys.get(i);
      JsonNode key = entry.get("key");
      if (key == null || !key.isObject() || key.size() != columns.size()) {
        throw new IllegalArgumentException(prefix + "keys[" + i + "] needs \"key\": an object of the " + columns.size()
            + " column(s) " + columns);
      }
      List<Object> values = new ArrayList<>();
      for (String column : columns) {
        JsonNode value = key.get(column);
        if (value == null) {
          throw new IllegalArgumentException(prefix + "keys[" + i + "].key has no value for column '" + column + "'");
        }
        if (!(value.isNull() || value.isTextual() || value.isBoolean() || value.isIntegralNumber() && value.canConvertToLong())) {
          throw new IllegalArgumentException(prefix + "keys[" + i + "].key." + column + " is " + value
              + "; a key value is a string, an integer, a boolean or null");
        }
        values.add(value.isNull() ? null : value.isTextual() ? value.asText() : value.isBoolean()
            ? (Object) value.asBoolean() : (Object) value.asLong());
      }
      ObjectNode withShape = ((ObjectNode) entry).deepCopy();
      if (!withShape.has("shape") && root.has("shape")) {
        withShape.set("shape", root.get("shape"));
      }
      entries.add(new KeyedStatistics.Entry(values, statistics(withShape, file, what, "keys[" + i + "]")));
    }
    try {
      return new KeyedStatistics(columns, entries, null);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(prefix + e.getMessage());
    }
  }

  /**
   * Writes the file: the top-level statistics, the statistics per key when {@code keyed} is not
   * null, and what {@code more} adds (e.g. the running statistics of a mini-batch replay).
   */
  public static void write(BatchStatistics statistics, double eps, KeyedStatistics keyed, Consumer<ObjectNode> more,
      Path file, Configuration conf) throws IOException {
    ObjectNode root = JsonFiles.JSON.createObjectNode();
    root.put("method", NormMethod.BATCH.id());
    ArrayNode shape = root.putArray("shape");
    Arrays.stream(statistics.shape().dims()).forEach(shape::add);
    root.put("eps", eps);
    put(root, statistics);
    if (keyed != null) {
      ArrayNode by = root.putArray("by");
      keyed.keyColumns().forEach(by::add);
      ArrayNode keys = root.putArray("keys");
      for (KeyedStatistics.Entry entry : keyed.entries()) {
        ObjectNode node = keys.addObject();
        ObjectNode key = node.putObject("key");
        for (int i = 0; i < keyed.keyColumns().size(); i++) {
          Object value = entry.key().get(i);
          String column = keyed.keyColumns().get(i);
          if (value == null) {
            key.putNull(column);
          } else if (value instanceof String text) {
            key.put(column, text);
          } else if (value instanceof Boolean flag) {
            key.put(column, flag);
          } else {
            key.put(column, (Long) value);
          }
        }
        put(node, entry.statistics());
      }
    }
    if (more != null) {
      more.accept(root);
    }
    FileSystem fs = file.getFileSystem(conf);
    try (OutputStream out = fs.create(file, false)) {
      JsonFiles.JSON.writerWithDefaultPrettyPrinter().writeValue(out, root);
    }
  }

  /**
   * count, mean, var, var_unbiased, mean_residual (what rounding the mean to a double lost: a later
   * {@code --stats-in} run reproduces this one to the last digit on data far from zero), std (the
   * square root of var, rounded once from the exact variance where fitted; what
   * {@code torchvision.transforms.Normalize} takes) and the algorithm.
   */
  private static void put(ObjectNode node, BatchStatistics statistics) {
    node.put("count", statistics.count());
    JsonFiles.putArray(node, "mean", statistics.mean());
    JsonFiles.putArray(node, "var", statistics.variance());
    JsonFiles.putArray(node, "var_unbiased", statistics.unbiasedVariance());
    JsonFiles.putArray(node, "mean_residual", statistics.meanResidual());
    JsonFiles.putArray(node, "std", statistics.std());
    if (statistics.algorithm() != null) {
      node.put("algorithm", statistics.algorithm());
    }
  }
}
