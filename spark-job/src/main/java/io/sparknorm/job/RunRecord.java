package io.sparknorm.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparknorm.core.Shape;
import io.sparknorm.core.SparknormVersion;
import io.sparknorm.spark.NormalizeSpec;

/**
 * How a table's rows were made, as compact JSON: Delta's commit metadata ({@code userMetadata}, shown by
 * {@code DESCRIBE HISTORY}), and the table property {@link #PROPERTY} of other catalog tables.
 */
final class RunRecord {
  private RunRecord() {}

  /** The table property that holds the record on a catalog table that is not Delta. */
  static final String PROPERTY = "sparknorm.how";

  static String json(JobOptions options, NormalizeSpec spec, Shape shape) {
    ObjectNode root = new ObjectMapper().createObjectNode();
    root.put("sparknorm", SparknormVersion.full());
    root.put("method", spec.method().id());
    ArrayNode dims = root.putArray("shape");
    for (int d : shape.dims()) {
      dims.add(d);
    }
    root.put("eps", spec.eps());
    root.put("groups", options.groups);
    root.put("affine", options.affine);
    root.put("stats_out", options.statsOut);
    root.put("stats_in", options.statsIn);
    root.put("handle_invalid", options.handleInvalid);
    root.put("input", options.inputName());
    return root.toString();
  }
}
