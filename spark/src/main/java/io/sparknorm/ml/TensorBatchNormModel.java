package io.sparknorm.ml;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.NormMethod;
import io.sparknorm.core.ProfileSet;
import io.sparknorm.core.ShiftSet;
import io.sparknorm.spark.BatchInput;
import io.sparknorm.spark.KeyedStatistics;
import io.sparknorm.spark.NormalizeSpec;
import io.sparknorm.spark.StatisticsFiles;
import io.sparknorm.spark.StatisticsProfiles;
import io.sparknorm.spark.StatisticsReport;
import io.sparknorm.report.Report;
import io.sparknorm.spark.TensorNormalization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * Batch norm with fixed statistics, like {@code torch.nn.BatchNorm} in evaluation mode: what
 * {@link TensorBatchNorm} fits, or statistics from elsewhere, such as a PyTorch model's
 * {@code running_mean} and {@code running_var} ({@link #fromStatisticsFile}, {@link #of}).
 *
 * <p>Saved like Spark ML's models: the params as metadata JSON ({@code PATH/metadata}) and the
 * statistics as data ({@code PATH/data}, one Parquet row of {@code batch_norm_stats}'s struct type:
 * count, mean, var, var_unbiased, mean_residual, shape), so the loaded model normalizes to the
 * same bits. {@link #writeStatisticsFile} exports them as the job's statistics file.
 *
 * <p>With statistics per key ({@code groupCols}, {@link #keyedStatistics()}) each row is normalized
 * with its key's, a key without any as {@code unseenKey} says; {@link #statistics()} are those over
 * all rows. They are saved in {@code PATH/keys} too, one Parquet row per key (see {@link KeyedModels}).
 *
 * <p>A fitted model keeps the profile of the data it was fitted on ({@link #profile()}, computed in
 * the fit's one aggregation; per key with groupCols), saved as {@code PATH/profile.json}; {@link #shift}
 * compares new data with it, channel by channel, to tell when the statistics no longer fit.
 */
public final class TensorBatchNormModel extends Model<TensorBatchNormModel>
    implements BatchNormParams<TensorBatchNormModel>, DefaultParamsWritable {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final NormParams params;
  private final KeyParams keyParams;
  private BatchStatistics statistics;
  private KeyedStatistics keyed;
  private ProfileSet profile;

  /** For Spark ML's reader; the statistics come with {@link #read()}. */
  public TensorBatchNormModel(String uid) {
    this.uid = uid;
    this.params = new NormParams(this);
    this.keyParams = new KeyParams(this);
    setNormDefaults();
    setKeyDefaults();
  }

  TensorBatchNormModel(String uid, BatchStatistics statistics) {
    this(uid, statistics, null);
  }

  /** Statistics per key ({@code keyed}, or null) with those over all rows ({@code statistics}, or null with keys). */
  TensorBatchNormModel(String uid, BatchStatistics statistics, KeyedStatistics keyed) {
    this(uid);
    this.statistics = statistics;
    this.keyed = keyed;
  }

  /** This model with the profile of the data it was fitted on. */
  TensorBatchNormModel withProfile(ProfileSet fitted) {
    this.profile = fitted;
    return this;
  }

  /** A model from given statistics, e.g. a PyTorch model's running statistics; set inputCol and the rest on it. */
  public static TensorBatchNormModel of(BatchStatistics statistics) {
    return new TensorBatchNormModel(Identifiable.randomUID("tensorBatchNormModel"), statistics);
  }

  /**
   * A model from given statistics per key, groupCols set to their key columns; unseenKey global
   * needs their statistics over all rows ({@link KeyedStatistics#global()}).
   */
  public static TensorBatchNormModel of(KeyedStatistics statistics) {
    return new TensorBatchNormModel(Identifiable.randomUID("tensorBatchNormModel"), statistics.global(), statistics)
        .setGroupCols(statistics.keyColumns().toArray(new String[0]));
  }

  /** A model from per-channel means and (biased) variances, e.g. {@code running_mean} and {@code running_var}. */
  public static TensorBatchNormModel of(double[] mean, double[] variance) {
    double[] unknown = new double[mean.length];
    java.util.Arrays.fill(unknown, Double.NaN);
    return of(new BatchStatistics(io.sparknorm.core.Shape.of(mean.length), 0, mean, variance, unknown));
  }

  /**
   * A model from a statistics file of the contract ({@code {"mean": [...], "var": [...]}}, plus
   * shape, count, var_unbiased and eps when present), on any Hadoop file system; eps is taken
   * from the file when it has one. A file with statistics per key ({@code "by"} and {@code "keys"})
   * gives a model with them, groupCols set to its {@code "by"}.
   */
  public static TensorBatchNormModel fromStatisticsFile(String path) {
    Configuration conf = SparkSession.active().sparkContext().hadoopConfiguration();
    StatisticsFiles.Contents file = StatisticsFiles.read(path, conf, "statistics file");
    if (file.statistics() == null && file.keyed() == null) {
      throw new IllegalArgumentException("statistics file " + path + ": the key 'mean' is missing");
    }
    TensorBatchNormModel model = file.keyed() != null ? of(file.keyed()) : of(file.statistics());
    if (file.eps() != null) {
      model.setEps(file.eps());
    }
    return model;
  }

  /**
   * Writes the statistics and eps as the job's statistics file (what {@code --stats-in} reads), with
   * the statistics per key when the model has them (what {@code --by} with {@code --stats-in} reads).
   */
  public void writeStatisticsFile(String path) {
    try {
      StatisticsFiles.write(statistics(), getEps(), keyed, null, new Path(path),
          SparkSession.active().sparkContext().hadoopConfiguration());
    } catch (IOException e) {
      throw new UncheckedIOException("could not write the statistics file " + path, e);
    }
  }

  /**
   * The statistics report of normalizing this data with the model: per channel the histograms of
   * the input and of the output, the model's statistics, quantiles and flags (one Spark job; see
   * {@link StatisticsReport#of}). {@code HtmlReport.render} draws it.
   */
  public Report report(Dataset<?> dataset) {
    BatchInput.require(dataset, "TensorBatchNormModel.report", BatchInput.REPORT);
    return StatisticsReport.of(dataset.toDF(), spec(dataset.schema()));
  }

  /** Writes {@link #report} as a self-contained HTML page to any Hadoop path (an existing file is an error). */
  public void writeReport(Dataset<?> dataset, String path) {
    StatisticsReport.write(report(dataset), new Path(path), dataset.sparkSession().sparkContext().hadoopConfiguration());
  }

  /**
   * The profile of the data the model was fitted on (per channel counts, exact mean and variance,
   * min, max, modes and sketch; per key with groupCols), what {@link #shift} compares with; null for a
   * model built from given statistics or loaded from a save made before profiles existed.
   */
  public ProfileSet profile() {
    return profile;
  }

  /**
   * This data compared with the data the model was fitted on ({@link StatisticsProfiles#compare}: the
   * data's profile in one Spark job, read as the fit read it, then per channel, and per key with
   * groupCols, the shift figures and flags). {@code ShiftSet.failsGate()} says whether to refit.
   *
   * @throws IllegalStateException when the model has no profile ({@link #profile()} is null)
   */
  public ShiftSet shift(Dataset<?> dataset) {
    if (profile == null) {
      throw new IllegalStateException("TensorBatchNormModel " + uid + " has no profile to compare with: it was built"
          + " from given statistics or saved before models kept profiles; fit a TensorBatchNorm on the reference"
          + " data to get one");
    }
    return StatisticsProfiles.compare(profile, dataset.toDF(), withKeys(normalizeSpec(NormMethod.BATCH,
        dataset.schema())));
  }

  @Override
  public String uid() {
    return uid;
  }

  @Override
  public NormParams normParams() {
    return params;
  }

  @Override
  public KeyParams keyParams() {
    return keyParams;
  }

  /**
   * The statistics: shape fitted, count of values per channel, mean, variance (biased and unbiased);
   * with statistics per key, those over all rows of every key.
   */
  public BatchStatistics statistics() {
    if (statistics == null) {
      throw new IllegalStateException("TensorBatchNormModel " + uid + " has no statistics"
          + (keyed != null ? " over all rows, only statistics per key" : ""));
    }
    return statistics;
  }

  /** The statistics per key (fitted with groupCols, or given); null when there is one set for all rows. */
  public KeyedStatistics keyedStatistics() {
    return keyed;
  }

  public double[] mean() {
    return statistics().mean();
  }

  /** The biased variance, what batch norm normalizes with. */
  public double[] variance() {
    return statistics().variance();
  }

  /** The unbiased variance, what PyTorch's running_var accumulates. */
  public double[] unbiasedVariance() {
    return statistics().unbiasedVariance();
  }

  /** Values per channel that were fitted (samples x spatial size); 0 when the statistics came from elsewhere. */
  public long count() {
    return statistics().count();
  }

  /**
   * What computed the statistics: {@code exact-sums} when fitted here (exact sums, each statistic correctly rounded,
   * the same bits on any partitioning); what the file said for {@link #fromStatisticsFile}; null where unknown.
   */
  public String algorithm() {
    return statistics().algorithm();
  }

  /** The spec: the model's statistics, per key when it has them (then groupCols must name the key columns). */
  private NormalizeSpec spec(StructType schema) {
    NormalizeSpec spec = withKeys(normalizeSpec(NormMethod.BATCH, schema));
    if (keyed == null) {
      if (spec.by() != null) {
        throw new IllegalArgumentException("TensorBatchNormModel " + uid + ": groupCols is "
            + Arrays.toString(getGroupCols()) + " but the model has one set of statistics for all rows (fitted"
            + " without groupCols); clear groupCols, or fit with it");
      }
      return spec.statistics(statistics());
    }
    if (spec.by() == null) {
      throw new IllegalArgumentException("TensorBatchNormModel " + uid + ": the statistics are per key of "
          + keyed.keyColumns() + "; set groupCols to those columns");
    }
    return spec.keyedStatistics(keyed);
  }

  /** The output schema; with statistics per key, the key columns checked too (present, of a key's type). */
  @Override
  public StructType transformSchema(StructType schema) {
    StructType output = TensorNormalization.outputSchema(schema, spec(schema));
    if (keyed != null) {
      KeyedModels.checkKeyTypes(schema, keyed);
    }
    return output;
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    Dataset<Row> frame = dataset.toDF();
    if (keyed != null) {
      KeyedModels.checkKeyTypes(frame.schema(), keyed);
    }
    return TensorNormalization.normalize(frame, spec(frame.schema())).frame();
  }

  @Override
  public TensorBatchNormModel copy(ParamMap extra) {
    return copyValues(new TensorBatchNormModel(uid, statistics, keyed).withProfile(profile), extra)
        .setParent(parent());
  }

  @Override
  public MLWriter write() {
    return new ModelFiles.Writer(this);
  }

  public static MLReader<TensorBatchNormModel> read() {
    return new ModelFiles.Reader();
  }

  public static TensorBatchNormModel load(String path) {
    return read().load(path);
  }

  /** Spark ML's params metadata, as every default-persisted stage writes it. */
  MLWriter paramsWriter() {
    return DefaultParamsWritable.super.write();
  }

  /** The statistics over all rows as held: null for given statistics per key without them. */
  BatchStatistics globalOrNull() {
    return statistics;
  }

  /** What {@link ModelFiles} read back into a model made by Spark ML's params reader. */
  TensorBatchNormModel restore(BatchStatistics global, KeyedStatistics perKey, ProfileSet fitted) {
    this.statistics = global;
    this.keyed = perKey;
    this.profile = fitted;
    return this;
  }
}
