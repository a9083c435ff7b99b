package io.sparknorm.job;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.ChannelFlags;
import io.sparknorm.core.ChannelSketches;
import io.sparknorm.core.NormMethod;
import io.sparknorm.core.Shape;
import io.sparknorm.report.ChannelReport;
import io.sparknorm.report.Flag;
import io.sparknorm.report.Histogram;
import io.sparknorm.report.HtmlReport;
import io.sparknorm.report.Report;
import io.sparknorm.spark.NormalizationResult;
import io.sparknorm.spark.NormalizeSpec;
import io.sparknorm.spark.SketchColumns;
import io.sparknorm.spark.TensorNormalization;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Observation;
import org.apache.spark.sql.Row;

/**
 * The job's {@code --report}: per-channel sketches of the input and of the output, gathered by
 * observing passes the job runs anyway, and the HTML page drawn from them.
 *
 * <p>The input's sketches come from the first full pass over the input: batch norm's statistics
 * pass (so the statistics and the sketches are one pass), else the write. Batch norm's output
 * histograms are the input's mapped by each channel's affine map y = a x + b (a = weight /
 * sqrt(var + eps), b = bias - mean a); the other methods (per sample), per-key statistics and
 * mini-batch replay sketch the normalized column as it is written. The mean, var and std shown for
 * batch norm are the statistics file's own; for the others, those of the sketches.
 */
final class JobReport {
  /** Histogram bins per channel: enough to see two bumps, few enough for 1,000 channels on a page. */
  static final int BINS = 32;

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

  /** The run as the report's summary says it. */
  record Run(String input, String output, String statsFile, NormalizationResult.Counts counts, double seconds,
      List<String> labels) {}

  /**
   * Writes the page. {@code statistics}: batch norm's over all rows (shown as they are in the
   * statistics file), or null.
   */
  void write(Run run, BatchStatistics statistics, Path file, Configuration conf) throws IOException {
    ChannelSketches in = sketches(input);
    ChannelSketches out = output == null ? null : sketches(output);
    int channels = shape.channels();
    double eps = spec.eps();
    double[] weight = spec.affine().weightOrOnes(channels);
    double[] bias = spec.affine().biasOrZeros(channels);
    List<ChannelReport> rows = new ArrayList<>();
    for (int c = 0; c < channels; c++) {
      Histogram inputHistogram = view(in.histogram(c, BINS));
      Histogram outputHistogram;
      if (out != null) {
        outputHistogram = view(out.histogram(c, BINS));
      } else {
        double a = weight[c] / Math.sqrt(statistics.variance()[c] + eps);
        outputHistogram = view(in.mappedHistogram(c, BINS, a, bias[c] - statistics.mean()[c] * a));
      }
      boolean exact = statistics != null;
      double mean = exact ? statistics.mean()[c] : in.mean(c);
      double var = exact ? statistics.variance()[c] : in.variance(c);
      List<Flag> flags = new ArrayList<>();
      for (Map.Entry<ChannelFlags.Flag, String> flag : ChannelFlags.of(in, c, eps).explanations().entrySet()) {
        flags.add(new Flag(flagId(flag.getKey()), flag.getValue()));
      }
      String label = run.labels() != null && run.labels().size() == channels ? run.labels().get(c) : null;
      rows.add(new ChannelReport(c, label, in.finiteCount(c), mean, var, Math.sqrt(var), in.min(c), in.max(c),
          in.quantile(c, 0.01), in.quantile(c, 0.5), in.quantile(c, 0.99), inputHistogram, outputHistogram, flags));
    }
    NormalizationResult.Counts counts = run.counts();
    Report report = new Report(spec.method().id(), shape.toString(), spec.inputCols() != null
        ? String.join(",", spec.inputCols()) : spec.inputCol(), run.input(), run.output(), run.statsFile(),
        counts.rowsIn(), run.output() == null ? 0 : counts.rowsOut(), counts.rowsSkipped(), counts.rowsKeptInvalid(),
        run.seconds(), statistics == null ? null : statistics.algorithm(), eps, Instant.now().toString(), rows);
    try (OutputStream stream = file.getFileSystem(conf).create(file, false)) {
      HtmlReport.write(report, stream);
    }
  }

  private static String flagId(ChannelFlags.Flag flag) {
    return switch (flag) {
      case MULTIMODAL -> Flag.MULTIMODAL;
      case CONSTANT -> Flag.CONSTANT;
      case HEAVY_OUTLIERS -> Flag.OUTLIERS;
      case MANY_ZEROS -> Flag.ZEROS;
      default -> flag.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    };
  }

  /** The core's histogram (whole counts, over [min, max]) as the page draws it; no values: one empty bin. */
  private static Histogram view(io.sparknorm.core.Histogram h) {
    if (h.bins() == 0) {
      return new Histogram(new double[] {0, 0}, new double[] {0});
    }
    double[] counts = new double[h.bins()];
    for (int i = 0; i < counts.length; i++) {
      counts[i] = h.count(i);
    }
    return new Histogram(h.edges(), counts);
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
