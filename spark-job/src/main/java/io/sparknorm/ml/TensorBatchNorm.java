package io.sparknorm.ml;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.NormMethod;
import io.sparknorm.spark.TensorNormalization;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReadable;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * Batch norm as a Spark ML Estimator, like {@code torch.nn.BatchNorm} in training mode: {@code fit}
 * computes each channel's mean and variance over every valid row of the data (one Spark
 * aggregation, the SQL aggregate {@code batch_norm_stats}) and returns a
 * {@link TensorBatchNormModel} holding them, which normalizes any data with them (evaluation mode).
 *
 * <pre>{@code
 * TensorBatchNormModel model = new TensorBatchNorm().setInputCol("raw").setOutputCol("features").fit(train);
 * model.transform(test);
 * }</pre>
 *
 * <p>With handleInvalid {@code skip} or {@code keep}, invalid rows are left out of the statistics;
 * with {@code error} the first one fails the fit.
 */
public final class TensorBatchNorm extends Estimator<TensorBatchNormModel>
    implements TensorNormParams<TensorBatchNorm>, DefaultParamsWritable {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final NormParams params;

  public TensorBatchNorm(String uid) {
    this.uid = uid;
    this.params = new NormParams(this);
    setNormDefaults();
  }

  public TensorBatchNorm() {
    this(Identifiable.randomUID("tensorBatchNorm"));
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
  public StructType transformSchema(StructType schema) {
    return TensorNormalization.outputSchema(schema, normalizeSpec(NormMethod.BATCH, schema));
  }

  @Override
  public TensorBatchNormModel fit(Dataset<?> dataset) {
    Dataset<Row> frame = dataset.toDF();
    BatchStatistics statistics = TensorNormalization.fitStatistics(frame,
        normalizeSpec(NormMethod.BATCH, frame.schema()));
    TensorBatchNormModel model = copyValues(new TensorBatchNormModel(uid, statistics), ParamMap.empty());
    return model.setParent(this);
  }

  @Override
  public TensorBatchNorm copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  public static MLReader<TensorBatchNorm> read() {
    return new DefaultParamsReadable<TensorBatchNorm>() {}.read();
  }

  public static TensorBatchNorm load(String path) {
    return read().load(path);
  }
}
