package io.sparknorm.ml;

import io.sparknorm.core.NormMethod;
import io.sparknorm.spark.BatchInput;
import io.sparknorm.spark.NormalizeSpec;
import io.sparknorm.spark.StatisticsProfiles;
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
 * The same aggregation profiles the data (sketches per channel, {@link TensorBatchNormModel#profile()}),
 * so that the model can later tell when new data no longer fits its statistics
 * ({@link TensorBatchNormModel#shift}).
 *
 * <pre>{@code
 * TensorBatchNormModel model = new TensorBatchNorm().setInputCol("raw").setOutputCol("features").fit(train);
 * model.transform(test);
 * }</pre>
 *
 * <p>With handleInvalid {@code skip} or {@code keep}, invalid rows are left out of the statistics;
 * with {@code error} the first one fails the fit.
 *
 * <p>With {@code groupCols} (string, integer or boolean columns) the statistics are per key, as the
 * job's {@code --by}: one Spark aggregation fits each key's statistics (the same bits as fitting that
 * key's rows alone) and those over all rows (the same bits as fitting without keys); the model
 * normalizes each row with its key's, and a key it has none for as {@code unseenKey} says.
 *
 * <pre>{@code
 * new TensorBatchNorm().setInputCol("raw").setGroupCols("site").setUnseenKey("global").fit(train)
 * }</pre>
 */
public final class TensorBatchNorm extends Estimator<TensorBatchNormModel>
    implements BatchNormParams<TensorBatchNorm>, DefaultParamsWritable {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final NormParams params;
  private final KeyParams keyParams;

  public TensorBatchNorm(String uid) {
    this.uid = uid;
    this.params = new NormParams(this);
    this.keyParams = new KeyParams(this);
    setNormDefaults();
    setKeyDefaults();
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
  public KeyParams keyParams() {
    return keyParams;
  }

  private NormalizeSpec spec(StructType schema) {
    return withKeys(normalizeSpec(NormMethod.BATCH, schema));
  }

  /** The model's schema; with groupCols the key columns are checked too (present, string, integer or boolean). */
  @Override
  public StructType transformSchema(StructType schema) {
    return TensorNormalization.outputSchema(schema, spec(schema));
  }

  @Override
  public TensorBatchNormModel fit(Dataset<?> dataset) {
    BatchInput.require(dataset, "TensorBatchNorm.fit", BatchInput.FIT_MODEL);
    Dataset<Row> frame = dataset.toDF();
    NormalizeSpec spec = spec(frame.schema());
    StatisticsProfiles.Fitted fitted = StatisticsProfiles.fit(frame, spec);
    TensorBatchNormModel model = spec.by() != null ? new TensorBatchNormModel(uid, fitted.statistics(), fitted.keyed())
        : new TensorBatchNormModel(uid, fitted.statistics());
    return copyValues(model.withProfile(fitted.profile()), ParamMap.empty()).setParent(this);
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
