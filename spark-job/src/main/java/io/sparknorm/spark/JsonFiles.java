package io.sparknorm.spark;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparknorm.core.Affine;
import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.NormMethod;
import io.sparknorm.core.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The contract's two JSON files, on any Hadoop file system: the affine file
 * {@code {"weight": [...], "bias": [...]}} and batch norm's statistics file
 * {@code {"method": "batch", "shape": [...], "eps": ..., "count": ..., "mean": [...], "var": [...],
 * "var_unbiased": [...]}}. Unknown keys are ignored. Error messages name the file by what the
 * caller calls it ({@code what}: "affine file", "stats-in file", "statistics file").
 *
 * <p>The bare tokens {@code NaN} and {@code Infinity} that Python's {@code json.dump} writes are
 * read, so that such a value is refused by name ("mean[1] is NaN, not a finite number") rather
 * than as a JSON syntax error; only {@code var_unbiased} may be NaN (unknown), as this class
 * writes it for statistics given without it.
 */
public final class JsonFiles {
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
      .build();

  private JsonFiles() {}

  public static Affine readAffine(String file, Configuration conf) {
    String what = "affine file";
    JsonNode root = read(file, conf, what);
    if (!root.isObject()) {
      throw new IllegalArgumentException(what + " " + file + ": expected a JSON object {\"weight\": [...], \"bias\": [...]}");
    }
    double[] weight = numbers(root, "weight", file, what, false, false);
    double[] bias = numbers(root, "bias", file, what, false, false);
    try {
      return Affine.of(weight, bias);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(what + " " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * A statistics file: mean and var are required (a PyTorch model's running_mean and running_var
   * will do); shape, count, var_unbiased and mean_residual are read when present.
   */
  public static BatchStatistics readStatistics(String file, Configuration conf, String what) {
    return readStatisticsFile(file, conf, what).statistics();
  }

  /** A statistics file's statistics, and the eps it was written with (null when it has none). */
  public record StatisticsFile(BatchStatistics statistics, Double eps) {}

  /** {@link #readStatistics}, with the file's eps. */
  public static StatisticsFile readStatisticsFile(String file, Configuration conf, String what) {
    JsonNode root = read(file, conf, what);
    if (!root.isObject()) {
      throw new IllegalArgumentException(what + " " + file + ": expected a JSON object with mean and var");
    }
    if (root.has("method") && !NormMethod.BATCH.id().equals(root.get("method").asText())) {
      throw new IllegalArgumentException(what + " " + file + ": method is '" + root.get("method").asText()
          + "', expected 'batch'");
    }
    double[] mean = numbers(root, "mean", file, what, true, false);
    double[] variance = numbers(root, "var", file, what, true, false);
    if (mean.length != variance.length || mean.length == 0) {
      throw new IllegalArgumentException(what + " " + file + ": mean has " + mean.length + " values and var "
          + variance.length + "; they must have one value per channel");
    }
    Shape shape = Shape.of(mean.length);
    JsonNode shapeNode = root.get("shape");
    if (shapeNode != null && shapeNode.isArray() && shapeNode.size() > 0) {
      int[] dims = new int[shapeNode.size()];
      for (int i = 0; i < dims.length; i++) {
        dims[i] = shapeNode.get(i).asInt();
      }
      shape = Shape.of(dims);
      if (shape.channels() != mean.length) {
        throw new IllegalArgumentException(what + " " + file + ": shape " + shape + " has " + shape.channels()
            + " channels but mean has " + mean.length + " values");
      }
    }
    // NaN (unknown) is what writeStatistics writes for statistics given without var_unbiased.
    double[] unbiased = root.has("var_unbiased") ? numbers(root, "var_unbiased", file, what, true, true) : null;
    if (unbiased == null || unbiased.length != mean.length) {
      unbiased = new double[mean.length];
      Arrays.fill(unbiased, Double.NaN);
    }
    double[] residual = root.has("mean_residual") ? numbers(root, "mean_residual", file, what, true, false) : null;
    if (residual == null || residual.length != mean.length) {
      residual = new double[mean.length];
    }
    long count = root.has("count") ? root.get("count").asLong() : 0;
    Double eps = root.path("eps").isNumber() ? root.get("eps").asDouble() : null;
    try {
      String algorithm = root.path("algorithm").isTextual() ? root.get("algorithm").asText() : null;
      return new StatisticsFile(new BatchStatistics(shape, count, mean, residual, variance, unbiased, algorithm), eps);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(what + " " + file + ": " + e.getMessage());
    }
  }

  /**
   * The statistics file; {@code mean_residual} (what rounding the mean to a double lost) lets a
   * later {@code --stats-in} run reproduce this one to the last digit on data far from zero.
   */
  public static void writeStatistics(BatchStatistics statistics, double eps, Path file, Configuration conf)
      throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("method", NormMethod.BATCH.id());
    ArrayNode shape = root.putArray("shape");
    Arrays.stream(statistics.shape().dims()).forEach(shape::add);
    root.put("eps", eps);
    root.put("count", statistics.count());
    putArray(root, "mean", statistics.mean());
    putArray(root, "var", statistics.variance());
    putArray(root, "var_unbiased", statistics.unbiasedVariance());
    putArray(root, "mean_residual", statistics.meanResidual());
    if (statistics.algorithm() != null) {
      root.put("algorithm", statistics.algorithm());
    }
    FileSystem fs = file.getFileSystem(conf);
    try (OutputStream out = fs.create(file, false)) {
      JSON.writerWithDefaultPrettyPrinter().writeValue(out, root);
    }
  }

  private static void putArray(ObjectNode root, String key, double[] values) {
    ArrayNode array = root.putArray(key);
    for (double v : values) {
      array.add(v);
    }
  }

  private static JsonNode read(String file, Configuration conf, String what) {
    try {
      Path path = new Path(file);
      FileSystem fs = path.getFileSystem(conf);
      if (!fs.exists(path)) {
        throw new IllegalArgumentException(what + " " + file + " does not exist");
      }
      try (InputStream in = fs.open(path)) {
        return JSON.readTree(in);
      }
    } catch (IOException e) {
      throw new IllegalArgumentException(what + " " + file + " is not valid JSON: "
          + e.getMessage().split("\n")[0]);
    }
  }

  /**
   * The array of finite numbers under {@code key}; with {@code nanAllowed} an element may also be
   * NaN, as a bare token or as the string "NaN" (how Jackson writes it).
   */
  private static double[] numbers(JsonNode root, String key, String file, String what, boolean required,
      boolean nanAllowed) {
    JsonNode node = root.get(key);
    if (node == null || node.isNull()) {
      if (required) {
        throw new IllegalArgumentException(what + " " + file + ": the key '" + key + "' is missing");
      }
      return null;
    }
    if (!node.isArray()) {
      throw new IllegalArgumentException(what + " " + file + ": '" + key + "' must be an array of numbers");
    }
    double[] values = new double[node.size()];
    for (int i = 0; i < values.length; i++) {
      JsonNode element = node.get(i);
      if (nanAllowed && element.isTextual() && element.asText().equals("NaN")) {
        values[i] = Double.NaN;
        continue;
      }
      if (!element.isNumber()) {
        throw new IllegalArgumentException(what + " " + file + ": " + key + "[" + i + "] is " + element
            + ", not a number");
      }
      values[i] = element.asDouble();
      if (!Double.isFinite(values[i]) && !(nanAllowed && Double.isNaN(values[i]))) {
        throw new IllegalArgumentException(what + " " + file + ": " + key + "[" + i + "] is " + values[i]
            + ", not a finite number");
      }
    }
    return values;
  }
}
