package io.sparknorm.job;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.ChannelSketches;
import io.sparknorm.spark.NormalizeSpec;
import io.sparknorm.spark.SketchColumns;
import io.sparknorm.spark.StatisticsReport;
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
 * <p>The input's sketches are {@link InputSketches}': the first full pass over the input, batch
 * norm's statistics pass (so the statistics and the sketches are one pass), else the write. Batch norm's output
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
  private final InputSketches input;
  private Observation output;

  private JobReport(NormalizeSpec spec, InputSketches input) {
    this.spec = spec;
    this.input = input;
  }

  /** The report of the input observed by {@code input} (shared with the profile and the comparison). */
  static JobReport of(NormalizeSpec spec, InputSketches input) {
    return new JobReport(spec, input);
  }

  /** The frame to write, observing its normalized column. */
  Dataset<Row> observeOutput(Dataset<Row> frame, String outputCol) {
    output = new Observation("sparknorm-report-output-" + UUID.randomUUID());
    return frame.observe(output, SketchColumns.of(frame.schema(), outputCol, input.shape()).as("sketches"));
  }

  /**
   * Writes the page. {@code statistics}: batch norm's over all rows (shown as they are in the
   * statistics file), or null; {@code labels}: the channels' names (the --input-cols), or null;
   * {@code shift}: all rows compared with --shift-from's profile, drawn over the input's, or null.
   */
  void write(StatisticsReport.Run run, List<String> labels, BatchStatistics statistics, StatisticsReport.Shift shift,
      Path file, Configuration conf) {
    ChannelSketches out = output == null ? null : sketches(output);
    StatisticsReport.write(StatisticsReport.build(spec, input.shape(), input.sketches(), out, statistics, run, labels,
        shift, input.elements()), file, conf);
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
