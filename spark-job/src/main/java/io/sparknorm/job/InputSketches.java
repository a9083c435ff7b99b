package io.sparknorm.job;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.ChannelSketches;
import io.sparknorm.core.Shape;
import io.sparknorm.spark.NormalizeSpec;
import io.sparknorm.spark.SketchColumns;
import io.sparknorm.spark.StatisticsReport;
import io.sparknorm.spark.TensorNormalization;
import java.util.Map;
import java.util.UUID;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Observation;
import org.apache.spark.sql.Row;

/**
 * The input's per-channel sketches, observed on the first full pass the job runs over the input
 * anyway: batch norm's statistics pass (so the statistics and the sketches are one pass), else the
 * write. One observation serves the report, the profile ({@code --profile-out}) and the comparison
 * ({@code --shift-from}). The sketches are of the valid rows only, the rows the statistics are over,
 * whatever {@code --handle-invalid} does with the others. For the report of image-shaped samples the
 * same observation also takes the per-element statistics its pictures are drawn from.
 */
final class InputSketches {
  private final Shape shape;
  private final Observation observation = new Observation("sparknorm-input-" + UUID.randomUUID());
  private final NormalizeSpec spec;
  private final Dataset<Row> frame;
  private Map<String, Object> observed;

  private InputSketches(Dataset<Row> data, NormalizeSpec spec, Shape shape, boolean elements) {
    this.shape = shape;
    this.spec = spec;
    Column sketches = SketchColumns.ofInput(data.schema(), spec, shape).as("sketches");
    if (elements) {
      Column pictures = StatisticsReport.elementStatisticsColumn(data, spec, shape).as("elements");
      this.frame = data.observe(observation, sketches, pictures);
    } else {
      this.frame = data.observe(observation, sketches);
    }
  }

  /**
   * Resolves the shape first (the one small job that must not be observed) into the spec, then observes the input.
   * Every later pass must read {@link #frame()} for the sketches to be taken. {@code elements}: also the
   * per-element statistics of image-shaped samples, for the report's pictures.
   */
  static InputSketches observe(Dataset<Row> data, NormalizeSpec spec, boolean elements) {
    Shape shape = TensorNormalization.shapeOf(data, spec);
    spec.shape(shape);
    return new InputSketches(data, spec, shape, elements);
  }

  /** The input, observed: the frame every pass of the job reads. */
  Dataset<Row> frame() {
    return frame;
  }

  Shape shape() {
    return shape;
  }

  /**
   * The sketches, once a pass over {@link #frame()} has ended (Spark's observation waits for the
   * first one, so the caller must know that one has run).
   */
  ChannelSketches sketches() {
    if (!(observed().get("sketches") instanceof byte[] bytes)) {
      throw new IllegalStateException("the input's sketches were not computed");
    }
    return ChannelSketches.fromBytes(bytes);
  }

  /** The per-element statistics of image-shaped samples, or null (not asked, another shape, too few rows). */
  BatchStatistics elements() {
    return StatisticsReport.elementStatisticsOf(observed().get("elements"), shape, spec);
  }

  private Map<String, Object> observed() {
    if (observed == null) {
      try {
        observed = observation.getAsJava();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the input's sketches", e);
      }
    }
    return observed;
  }
}
