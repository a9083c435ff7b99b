package io.sparknorm.ml;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.NormMethod;
import io.sparknorm.spark.JsonFiles;
import io.sparknorm.spark.NormalizeSpec;
import io.sparknorm.spark.StatisticsRows;
import io.sparknorm.spark.TensorNormalization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReadable;
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
 */
public final class TensorBatchNormModel extends Model<TensorBatchNormModel>
    implements TensorNormParams<TensorBatchNormModel>, DefaultParamsWritable {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final NormParams params;
  private BatchStatistics statistics;

  /** For Spark ML's reader; the statistics come with {@link #read()}. */
  public TensorBatchNormModel(String uid) {
    this.uid = uid;
    this.params = new NormParams(this);
    setNormDefaults();
  }

  public TensorBatchNormModel(String uid, BatchStatistics statistics) {
    this(uid);
    this.statistics = statistics;
  }

  /** A model from given statistics, e.g. a PyTorch model's running statistics; set inputCol and the rest on it. */
  public static TensorBatchNormModel of(BatchStatistics statistics) {
    return new TensorBatchNormModel(Identifiable.randomUID("tensorBatchNormModel"), statistics);
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
   * from the file when it has one.
   */
  public static TensorBatchNormModel fromStatisticsFile(String path) {
    Configuration conf = SparkSession.active().sparkContext().hadoopConfiguration();
    JsonFiles.StatisticsFile file = JsonFiles.readStatisticsFile(path, conf, "statistics file");
    TensorBatchNormModel model = of(file.statistics());
    if (file.eps() != null) {
      model.setEps(file.eps());
    }
    return model;
  }

  /** Writes the statistics and eps as the job's statistics file (what {@code --stats-in} reads). */
  public void writeStatisticsFile(String path) {
    try {
      JsonFiles.writeStatistics(statistics(), getEps(), new Path(path),
          SparkSession.active().sparkContext().hadoopConfiguration());
    } catch (IOException e) {
      throw new UncheckedIOException("could not write the statistics file " + path, e);
    }
  }

  @Override
  public String uid() {
    return uid;
  }

  @Override
  public NormParams normParams() {
    return params;
  }

  /** The statistics: shape fitted, count of values per channel, mean, variance (biased and unbiased). */
  public BatchStatistics statistics() {
    if (statistics == null) {
      throw new IllegalStateException("TensorBatchNormModel " + uid + " has no statistics");
    }
    return statistics;
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

  private NormalizeSpec spec(StructType schema) {
    return normalizeSpec(NormMethod.BATCH, schema).statistics(statistics());
  }

  @Override
  public StructType transformSchema(StructType schema) {
    return TensorNormalization.outputSchema(schema, spec(schema));
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    Dataset<Row> frame = dataset.toDF();
    return TensorNormalization.normalize(frame, spec(frame.schema())).frame();
  }

  @Override
  public TensorBatchNormModel copy(ParamMap extra) {
    return copyValues(new TensorBatchNormModel(uid, statistics), extra).setParent(parent());
  }

  @Override
  public MLWriter write() {
    return new Writer(this);
  }

  public static MLReader<TensorBatchNormModel> read() {
    return new Reader();
  }

  public static TensorBatchNormModel load(String path) {
    return read().load(path);
  }

  /** Spark ML's params metadata, as every default-persisted stage writes it. */
  private MLWriter paramsWriter() {
    return DefaultParamsWritable.super.write();
  }

  private static final class Writer extends MLWriter {
    private final TensorBatchNormModel model;

    Writer(TensorBatchNormModel model) {
      this.model = model;
    }

    @Override
    public void saveImpl(String path) {
      try {
        model.paramsWriter().session(sparkSession()).save(path);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      sparkSession().createDataFrame(List.of(StatisticsRows.toRow(model.statistics())), StatisticsRows.schema())
          .coalesce(1).write().parquet(new Path(path, "data").toString());
    }
  }

  private static final class Reader extends MLReader<TensorBatchNormModel> {
    @Override
    public TensorBatchNormModel load(String path) {
      TensorBatchNormModel model = new DefaultParamsReadable<TensorBatchNormModel>() {}.read().session(sparkSession())
          .load(path);
      model.statistics = StatisticsRows.fromRow(sparkSession().read().parquet(new Path(path, "data").toString())
          .first());
      return model;
    }
  }
}
