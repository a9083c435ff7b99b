package io.sparknorm.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparknorm.core.Shape;
import io.sparknorm.core.SparknormVersion;
import io.sparknorm.spark.NormalizeSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * What normalization a checkpoint's stream does, kept beside Spark's logs in {@code <checkpoint>/sparknorm/run.json}:
 * a restart with the same checkpoint must continue the same normalization, or its output would hold rows of two.
 * Spark itself checks only the query's shape, not the numbers in it.
 */
final class CheckpointRecord {
  static final String FILE = "sparknorm/run.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ObjectNode fields;

  private CheckpointRecord(ObjectNode fields) {
    this.fields = fields;
  }

  /** The record of this run: every field that, changed, would make the output a mix of two normalizations. */
  static CheckpointRecord of(JobOptions o, NormalizeSpec spec, Shape shape) {
    ObjectNode root = JSON.createObjectNode();
    root.put("method", spec.method().id());
    ArrayNode dims = root.putArray("shape");
    for (int d : shape.dims()) {
      dims.add(d);
    }
    root.put("input_col", spec.inputCols() != null ? String.join(",", spec.inputCols()) : spec.inputCol());
    root.put("groups", o.groups);
    root.put("eps", spec.eps());
    root.put("output_format", o.outputFormat.strip().toLowerCase(Locale.ROOT));
    root.put("statistics", o.momentum != null ? "running" : o.statsIn != null ? "fixed" : "none");
    root.put("momentum", o.momentum == null ? null : o.momentum.strip().toLowerCase(Locale.ROOT));
    return new CheckpointRecord(root);
  }

  /**
   * Compares with the record in {@code checkpoint}: true when there is one and it is this run's, false when there is
   * none.
   *
   * @throws IllegalArgumentException naming the first difference, when the checkpoint is another normalization's
   */
  boolean matches(Path checkpoint, Configuration conf) throws IOException {
    Path file = new Path(checkpoint, FILE);
    FileSystem fs = file.getFileSystem(conf);
    if (!fs.exists(file)) {
      return false;
    }
    JsonNode written;
    try (InputStream in = fs.open(file)) {
      written = JSON.readTree(in);
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = fields.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      JsonNode before = written.get(field.getKey());
      if (before == null || !before.equals(field.getValue())) {
        throw new IllegalArgumentException("checkpoint " + checkpoint + " is of a stream with " + field.getKey() + " "
            + text(before) + ", and this run has " + field.getKey() + " " + text(field.getValue())
            + ": give a new --checkpoint (and --output) for another normalization");
      }
    }
    return true;
  }

  private static String text(JsonNode value) {
    return value == null || value.isNull() ? "none" : value.isTextual() ? value.asText() : value.toString();
  }

  /** Writes the record into {@code checkpoint}, with the sparknorm version that wrote it. */
  void write(Path checkpoint, Configuration conf) throws IOException {
    Path file = new Path(checkpoint, FILE);
    ObjectNode root = fields.deepCopy();
    root.put("sparknorm", SparknormVersion.full());
    try (OutputStream out = file.getFileSystem(conf).create(file, true)) {
      out.write(root.toString().getBytes(StandardCharsets.UTF_8));
    }
  }
}
