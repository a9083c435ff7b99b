package io.sparknorm.spark;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.ChannelFlags;
import io.sparknorm.core.ChannelSketches;
import io.sparknorm.core.NormMethod;
import io.sparknorm.core.Shape;
import io.sparknorm.core.SketchHistogram;
import io.sparknorm.report.ChannelReport;
import io.sparknorm.report.Flag;
import io.sparknorm.report.ChannelHistogram;
import io.sparknorm.report.HtmlReport;
import io.sparknorm.report.Report;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * The statistics report ({@link HtmlReport}) as a library call: per channel the histograms of the
 * input and of the normalized output, statistics, quantiles and flags, from {@link ChannelSketches}.
 * The job draws it from sketches observed on its own passes; {@link #of} computes them itself.
 */
public final class StatisticsReport {
  /** Histogram bins per channel: enough to see two bumps, few enough for 1,000 channels on a page. */
  static final int BINS = 32;

  private StatisticsReport() {}

  /** What the page's summary says of the run; null texts show as a dash. */
  public record Run(String input, String output, String statsFile, NormalizationResult.Counts counts, double seconds) {}

  /**
   * The report of normalizing {@code input} as the spec says, in ONE Spark job that reads the
   * data: batch norm fits its statistics (the spec's, when given, are used instead) and sketches
   * the input in the same aggregation, and its output histograms are the input's mapped by each
   * channel's affine map; the other methods (and batch norm per key) sketch the input and the
   * normalized output together. Nothing is written. The input's sketches are of the valid rows (the
   * statistics' rows); the summary counts every row read and the invalid ones skipped or kept.
   */
  public static Report of(Dataset<Row> input, NormalizeSpec spec) {
    BatchInput.require(input, "StatisticsReport.of", BatchInput.REPORT);
    long start = System.nanoTime();
    Shape shape = TensorNormalization.shapeOf(input, spec);
    spec.shape(shape);
    Column inputSketches = SketchColumns.ofInput(input.schema(), spec, shape).as("input");
    Row row;
    BatchStatistics statistics = null;
    NormalizationResult.Counts counts = null;
    boolean mapped = spec.method() == NormMethod.BATCH && spec.by() == null;
    Column rows = functions.count(functions.lit(1)).as("rows");
    if (mapped && spec.statistics() == null) {
      row = input.agg(inputSketches, rows, StatisticsFit.statesColumn(input, spec).as("states")).first();
      statistics = StatisticsFit.statisticsOf(row.isNullAt(2) ? null : (byte[]) row.get(2), spec);
    } else if (mapped) {
      row = input.agg(inputSketches, rows).first();
      statistics = spec.statistics();
    } else {
      NormalizeSpec separate = spec.copyWithOutputCol("__sparknorm_report_output");
      NormalizationResult result = TensorNormalization.normalize(input, separate);
      Dataset<Row> normalized = result.countedFrame();
      row = normalized.agg(SketchColumns.ofInput(normalized.schema(), spec, shape).as("input"),
          SketchColumns.of(normalized.schema(), "__sparknorm_report_output", shape).as("output")).first();
      counts = result.counts();
    }
    ChannelSketches in = ChannelSketches.fromBytes((byte[]) row.get(0));
    ChannelSketches out = mapped ? null : ChannelSketches.fromBytes((byte[]) row.get(1));
    if (mapped) {
      // The input's sketches hold the valid rows only: the others are the invalid ones.
      long invalid = row.getLong(1) - in.count() / Math.max(1, shape.spatialSize());
      counts = new NormalizationResult.Counts(row.getLong(1), spec.handleInvalid() == HandleInvalid.SKIP ? invalid : 0,
          spec.handleInvalid() == HandleInvalid.KEEP ? invalid : 0);
    }
    return build(spec, shape, in, out, statistics, new Run(null, null, null, counts,
        (System.nanoTime() - start) / 1e9), null);
  }

  /**
   * The report from sketches. {@code output} null: batch norm's output histograms are the input's
   * mapped by y = a x + b (a = weight / sqrt(var + eps), b = bias - mean a) with {@code statistics}.
   * {@code statistics}, when given, are shown as the channel's mean, var and std (the statistics
   * file's numbers); else those of the sketches. {@code labels}: one per channel, or null.
   */
  public static Report build(NormalizeSpec spec, Shape shape, ChannelSketches input, ChannelSketches output,
      BatchStatistics statistics, Run run, List<String> labels) {
    int channels = shape.channels();
    double eps = spec.eps();
    double[] weight = spec.affine().weightOrOnes(channels);
    double[] bias = spec.affine().biasOrZeros(channels);
    List<ChannelReport> rows = new ArrayList<>();
    double[] std = statistics != null ? statistics.std() : null;
    for (int c = 0; c < channels; c++) {
      ChannelHistogram outputHistogram;
      if (output != null) {
        outputHistogram = view(output.histogram(c, BINS));
      } else {
        double a = weight[c] / Math.sqrt(statistics.variance()[c] + eps);
        outputHistogram = view(input.mappedHistogram(c, BINS, a, bias[c] - statistics.mean()[c] * a));
      }
      double mean = statistics != null ? statistics.mean()[c] : input.mean(c);
      double var = statistics != null ? statistics.variance()[c] : input.variance(c);
      List<Flag> flags = new ArrayList<>();
      for (Map.Entry<ChannelFlags.Flag, String> flag : ChannelFlags.of(input, c, eps).explanations().entrySet()) {
        flags.add(new Flag(flagId(flag.getKey()), flag.getValue()));
      }
      String label = labels != null && labels.size() == channels ? labels.get(c) : null;
      rows.add(new ChannelReport(c, label, input.finiteCount(c), mean, var, std != null ? std[c] : Math.sqrt(var),
          input.min(c), input.max(c), input.quantile(c, 0.01), input.quantile(c, 0.5), input.quantile(c, 0.99),
          view(input.histogram(c, BINS)), outputHistogram, flags));
    }
    NormalizationResult.Counts counts = run.counts();
    return new Report(spec.method().id(), shape.toString(), spec.inputCols() != null
        ? String.join(",", spec.inputCols()) : spec.inputCol(), run.input(), run.output(), run.statsFile(),
        counts.rowsIn(), run.output() == null ? 0 : counts.rowsOut(), counts.rowsSkipped(), counts.rowsKeptInvalid(),
        run.seconds(), statistics == null ? null : statistics.algorithm(), eps, Instant.now().toString(), rows);
  }

  /** Writes the page to any Hadoop path (an existing file is an error). */
  public static void write(Report report, Path file, Configuration conf) {
    try (OutputStream stream = file.getFileSystem(conf).create(file, false)) {
      HtmlReport.write(report, stream);
    } catch (IOException e) {
      throw new UncheckedIOException("could not write the report " + file, e);
    }
  }

  private static String flagId(ChannelFlags.Flag flag) {
    return switch (flag) {
      case MULTIMODAL -> Flag.MULTIMODAL;
      case CONSTANT -> Flag.CONSTANT;
      case HEAVY_OUTLIERS -> Flag.OUTLIERS;
      case MANY_ZEROS -> Flag.ZEROS;
      default -> flag.name().toLowerCase(Locale.ROOT).replace('_', '-');
    };
  }

  /** The core's histogram (whole counts over [min, max]) as the page draws it; no values: one empty bin. */
  private static ChannelHistogram view(SketchHistogram h) {
    if (h.bins() == 0) {
      return new ChannelHistogram(new double[] {0, 0}, new double[] {0});
    }
    double[] counts = new double[h.bins()];
    for (int i = 0; i < counts.length; i++) {
      counts[i] = h.count(i);
    }
    return new ChannelHistogram(h.edges(), counts);
  }
}
