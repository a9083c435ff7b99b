package io.sparknorm.job;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.ChannelSketches;
import io.sparknorm.core.Shape;
import io.sparknorm.spark.NormalizeSpec;
import io.sparknorm.spark.SketchColumns;
import io.sparknorm.spark.StatisticsReport;
import io.sparknorm.spark.TensorNormalization;
import java.util.List;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Observation;
import org.apache.spark.sql.Row;

/**
 * The job's {@code --report}: per-channel sketches of the input and of the output, gathered by
 * observing passes the job runs anyway, and the HTML page drawn from them ({@link StatisticsReport}).
 *
 * <p>The input's sketches come from the first full pass over the input: batch norm's statistics
 * pass (so the statistics and the sketches are one pass), else the write. Batch norm's output
 * histograms are the input's mapped by each channel's affine map y = a x + b (a = weight /
 * sqrt(var + eps), b = bias - mean a); the other methods (per sample), per-key statistics and
 * mini-batch replay sketch the normalized column as it is written. The mean, var and std shown for
 * batch norm are the statistics file's own; for the others, those of the sketches.
 *
 * <p>The input's sketches are of the valid rows only, the rows the statistics are over, whatever
 * {@code --handle-invalid} does with the others; the output's are of the values written, so a row
 * kept invalid (a null result) adds nothing to either.
 */
final class JobReport {
  private final NormalizeSpec spec;
  private final Shape shape;
  private final Observation input = new Observation("sparknorm-report-input-" + UUID.randomUUID());
  private Observation output;

  private JobReport(NormalizeSpec spec, Shape shape) {
    this.spec = spec;
    this.shape = shape;
  }

  /** Resolves the shape first (the one small job that must not be observed), then observes the input. */
  static JobReport observe(Dataset<Row> data, NormalizeSpec spec, Dataset<Row>[] observed) {
    Shape shape = TensorNormalization.shapeOf(data, spec);
    spec.shape(shape);
    JobReport report = new JobReport(spec, shape);
    observed[0] = data.observe(report.input, SketchColumns.ofInput(data.schema(), spec, shape).as("sketches"));
    return report;
  }

  /** The frame to write, observing its normalized column. */
  Dataset<Row> observeOutput(Dataset<Row> frame, String outputCol) {
    output = new Observation("sparknorm-report-output-" + UUID.randomUUID());
    return frame.observe(output, SketchColumns.of(frame.schema(), outputCol, shape).as("sketches"));
  }

  /**
   * Writes the page. {@code statistics}: batch norm's over all rows (shown as they are in the
   * statistics file), or null; {@code labels}: the channels' names (the --input-cols), or null.
   */
  void write(StatisticsReport.Run run, List<String> labels, BatchStatistics statistics, Path file,
      Configuration conf) {
    ChannelSketches in = sketches(input);
    ChannelSketches out = output == null ? null : sketches(output);
    StatisticsReport.write(StatisticsReport.build(spec, shape, in, out, statistics, run, labels), file, conf);
  }

  private static ChannelSketches sketches(Observation observation) {
    try {
      Object bytes = observation.getAsJava().get("sketches");
      if (!(bytes instanceof byte[] b)) {
        throw new IllegalStateException("the report's sketches were not computed");
      }
      return ChannelSketches.fromBytes(b);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the report's sketches", e);
    }
  }
}
