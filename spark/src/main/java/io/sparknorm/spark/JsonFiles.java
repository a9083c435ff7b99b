package io.sparknorm.spark;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparknorm.core.Affine;
import io.sparknorm.core.NormalizationException;
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
 * The contract's affine file {@code {"weight": [...], "bias": [...]}} on any Hadoop file system,
 * and what reading JSON files shares with {@link StatisticsFiles}. Unknown keys are ignored. Error
 * messages name the file by what the caller calls it ({@code what}: "affine file", "stats-in file").
 *
 * <p>The bare tokens {@code NaN} and {@code Infinity} that Python's {@code json.dump} writes are
 * read, so that such a value is refused by name ("mean[1] is NaN, not a finite number") rather
 * than as a JSON syntax error; only {@code var_unbiased} may be NaN (unknown), as this class
 * writes it for statistics given without it.
 */
public final class JsonFiles {
  static final ObjectMapper JSON = JsonMapper.builder()
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
    } catch (NormalizationException e) {
      throw e.worded(what + " " + file + ": " + e.getMessage());
    }
  }

  static void putArray(ObjectNode root, String key, double[] values) {
    ArrayNode array = root.putArray(key);
    for (double v : values) {
      array.add(v);
    }
  }

  static JsonNode read(String file, Configuration conf, String what) {
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
  static double[] numbers(JsonNode root, String key, String file, String what, boolean required,
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
