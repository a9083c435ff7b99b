package io.sparknorm.spark;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.ChannelFlags;
import io.sparknorm.core.ChannelSketches;
import io.sparknorm.core.CovariateShift;
import io.sparknorm.core.NormMethod;
import io.sparknorm.core.ProfileSet;
import io.sparknorm.core.Shape;
import io.sparknorm.core.ShiftResult;
import io.sparknorm.core.SketchHistogram;
import io.sparknorm.core.StatisticsException;
import io.sparknorm.core.StatisticsProfile;
import io.sparknorm.report.ChannelHistogram;
import io.sparknorm.report.ChannelReport;
import io.sparknorm.report.ChannelShiftReport;
import io.sparknorm.report.ElementImages;
import io.sparknorm.report.Flag;
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
   * A comparison to draw: the reference profile (its histograms are drawn over the input's) and the result of
   * comparing the input with it ({@link CovariateShift#compare(StatisticsProfile, StatisticsProfile)}).
   */
  public record Shift(StatisticsProfile reference, ShiftResult result) {}

  /**
   * The report of normalizing {@code input} as the spec says, in ONE Spark job that reads the
   * data: batch norm fits its statistics (the spec's, when given, are used instead) and sketches
   * the input in the same aggregation, and its output histograms are the input's mapped by each
   * channel's affine map; the other methods (and batch norm per key) sketch the input and the
   * normalized output together. Nothing is written. The input's sketches are of the valid rows (the
   * statistics' rows); the summary counts every row read and the invalid ones skipped or kept.
   */
  public static Report of(Dataset<Row> input, NormalizeSpec spec) {
    return of(input, spec, null);
  }

  /**
   * As {@link #of(Dataset, NormalizeSpec)}, and compares the input with {@code reference}'s profile of all rows
   * (null: no comparison): the page overlays the reference's histograms and shows the figures and shift flags.
   * Image-shaped data (C, H, W) also gets its per-element mean and std, in the same Spark job.
   */
  public static Report of(Dataset<Row> input, NormalizeSpec spec, ProfileSet reference) {
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
    Column elementsColumn = elementStatisticsColumn(input, spec, shape).as("elements");
    Object elementsValue;
    if (mapped && spec.statistics() == null) {
      row = input.agg(inputSketches, rows, elementsColumn, StatisticsFit.statesColumn(input, spec).as("states"))
          .first();
      statistics = StatisticsFit.statisticsOf(row.isNullAt(3) ? null : (byte[]) row.get(3), spec);
      elementsValue = row.get(2);
    } else if (mapped) {
      row = input.agg(inputSketches, rows, elementsColumn).first();
      statistics = spec.statistics();
      elementsValue = row.get(2);
    } else {
      NormalizeSpec separate = spec.copyWithOutputCol("__sparknorm_report_output");
      NormalizationResult result = TensorNormalization.normalize(input, separate);
      Dataset<Row> normalized = result.countedFrame();
      row = normalized.agg(SketchColumns.ofInput(normalized.schema(), spec, shape).as("input"),
          SketchColumns.of(normalized.schema(), "__sparknorm_report_output", shape).as("output"),
          elementStatisticsColumn(normalized, spec, shape).as("elements")).first();
      counts = result.counts();
      elementsValue = row.get(2);
    }
    ChannelSketches in = ChannelSketches.fromBytes((byte[]) row.get(0));
    ChannelSketches out = mapped ? null : ChannelSketches.fromBytes((byte[]) row.get(1));
    if (mapped) {
      // The input's sketches hold the valid rows only: the others are the invalid ones.
      long invalid = row.getLong(1) - in.count() / Math.max(1, shape.spatialSize());
      counts = new NormalizationResult.Counts(row.getLong(1), spec.handleInvalid() == HandleInvalid.SKIP ? invalid : 0,
          spec.handleInvalid() == HandleInvalid.KEEP ? invalid : 0);
    }
    Shift shift = null;
    if (reference != null) {
      StatisticsProfile now = StatisticsProfile.of(in, statistics);
      shift = new Shift(reference.all(), CovariateShift.compare(reference.all(), now));
    }
    return build(spec, shape, in, out, statistics, new Run(null, null, null, counts,
        (System.nanoTime() - start) / 1e9), null, shift, elementStatisticsOf(elementsValue, shape, spec));
  }

  /**
   * The report from sketches. {@code output} null: batch norm's output histograms are the input's
   * mapped by y = a x + b (a = weight / sqrt(var + eps), b = bias - mean a) with {@code statistics}.
   * {@code statistics}, when given, are shown as the channel's mean, var and std (the statistics
   * file's numbers); else those of the sketches. {@code labels}: one per channel, or null.
   */
  public static Report build(NormalizeSpec spec, Shape shape, ChannelSketches input, ChannelSketches output,
      BatchStatistics statistics, Run run, List<String> labels) {
    return build(spec, shape, input, output, statistics, run, labels, null, null);
  }

  /**
   * As {@link #build(NormalizeSpec, Shape, ChannelSketches, ChannelSketches, BatchStatistics, Run, List)}, with the
   * comparison with a reference profile drawn (null: none): per channel the reference's histogram over the input's,
   * the figures and the shift flags, and a summary.
   */
  public static Report build(NormalizeSpec spec, Shape shape, ChannelSketches input, ChannelSketches output,
      BatchStatistics statistics, Run run, List<String> labels, Shift shift) {
    return build(spec, shape, input, output, statistics, run, labels, shift, null);
  }

  /**
   * As {@link #build(NormalizeSpec, Shape, ChannelSketches, ChannelSketches, BatchStatistics, Run, List, Shift)},
   * with per-element statistics of image-shaped samples (null: none): the mean and variance of each element of the
   * flattened sample, shape (C x H x W,), as {@link #elementStatisticsOf} makes them; the page draws each channel's
   * mean and std pictures from them.
   */
  public static Report build(NormalizeSpec spec, Shape shape, ChannelSketches input, ChannelSketches output,
      BatchStatistics statistics, Run run, List<String> labels, Shift shift, BatchStatistics elements) {
    if (shift != null && shift.result().channels().size() != shape.channels()) {
      throw new IllegalArgumentException("the shift compares " + shift.result().channels().size()
          + " channels, the report has " + shape.channels() + " (shape " + shape + ")");
    }
    if (elements != null && elements.mean().length != shape.size()) {
      throw new IllegalArgumentException("element statistics of " + elements.mean().length
          + " elements for shape " + shape + " (" + shape.size() + " elements)");
    }
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
      ChannelHistogram inputHistogram = view(input.histogram(c, BINS));
      ChannelShiftReport channelShift = null;
      if (shift != null) {
        ShiftView view = ShiftView.of(input, c, shift.reference().channel(c), shift.result().channels().get(c), BINS);
        inputHistogram = view.input();
        channelShift = view.report();
        flags.addAll(view.flags());
      }
      rows.add(new ChannelReport(c, label, input.finiteCount(c), mean, var, std != null ? std[c] : Math.sqrt(var),
          input.min(c), input.max(c), input.quantile(c, 0.01), input.quantile(c, 0.5), input.quantile(c, 0.99),
          inputHistogram, outputHistogram, flags, channelShift));
    }
    NormalizationResult.Counts counts = run.counts();
    List<Integer> dims = new ArrayList<>();
    for (int d : shape.dims()) {
      dims.add(d);
    }
    return new Report(spec.method().id(), shape.toString(), spec.inputCols() != null
        ? String.join(",", spec.inputCols()) : spec.inputCol(), run.input(), run.output(), run.statsFile(),
        counts.rowsIn(), run.output() == null ? 0 : counts.rowsOut(), counts.rowsSkipped(), counts.rowsKeptInvalid(),
        run.seconds(), statistics == null ? null : statistics.algorithm(), eps, Instant.now().toString(), rows, dims,
        elements == null ? null : new ElementImages(elements.mean(), elements.std()));
  }

  /**
   * The aggregate of the per-element statistics of image-shaped samples, (C, H, W) and more dimensions: the exact
   * states of batch norm's statistics of the flattened sample (shape (C x H x W,)), over the valid rows, to put in
   * the same aggregation or {@link org.apache.spark.sql.Dataset#observe} as the report's sketches. For other shapes
   * a null literal (nothing to compute). {@link #elementStatisticsOf} reads its value.
   */
  public static Column elementStatisticsColumn(Dataset<Row> input, NormalizeSpec spec, Shape shape) {
    if (!elementPictures(shape)) {
      return functions.lit(null).cast("binary");
    }
    return StatisticsFit.statesColumn(input, flatSpec(spec, shape));
  }

  /**
   * The per-element mean and variance from {@link #elementStatisticsColumn}'s value (the bytes Spark returns for
   * it), for {@link #build(NormalizeSpec, Shape, ChannelSketches, ChannelSketches, BatchStatistics, Run, List, Shift,
   * BatchStatistics)}; null for a null value (a shape without pictures) or fewer than two valid rows.
   */
  public static BatchStatistics elementStatisticsOf(Object observedValue, Shape shape, NormalizeSpec spec) {
    if (!(observedValue instanceof byte[] states) || !elementPictures(shape)) {
      return null;
    }
    try {
      return StatisticsFit.statisticsOf(states, Shape.of(shape.size()), spec.statisticsScale());
    } catch (StatisticsException e) {
      return null; // one row or none: no spread to draw
    }
  }

  /** Whether the page draws per-element pictures for this shape: channels of at least two spatial dimensions. */
  static boolean elementPictures(Shape shape) {
    return shape.rank() >= 3;
  }

  private static NormalizeSpec flatSpec(NormalizeSpec spec, Shape shape) {
    NormalizeSpec flat = new NormalizeSpec(NormMethod.BATCH).handleInvalid(spec.handleInvalid()).idCol(spec.idCol())
        .shape(Shape.of(shape.size())).statisticsScale(spec.statisticsScale());
    return spec.inputCols() != null ? flat.inputCols(spec.inputCols()) : flat.inputCol(spec.inputCol());
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
