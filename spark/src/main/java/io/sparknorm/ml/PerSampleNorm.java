package io.sparknorm.ml;

import io.sparknorm.core.NormMethod;
import io.sparknorm.spark.BatchInput;
import io.sparknorm.spark.NormalizeSpec;
import io.sparknorm.spark.TensorNormalization;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * Layer, instance and group norm as Spark ML Transformers: per-sample statistics, so nothing to
 * fit; {@code transform} adds one column to the plan (no Spark job until an action). Public because
 * the stages' public methods are its (Spark ML finds params and stages by reflection); its
 * constructor is the package's, so the three stages here are its only subclasses.
 *
 * @param <S> the stage's own type
 */
public abstract class PerSampleNorm<S extends PerSampleNorm<S>> extends Transformer
    implements TensorNormParams<S>, DefaultParamsWritable {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final NormParams params;

  PerSampleNorm(String uid) {
    this.uid = uid;
    this.params = new NormParams(this);
    setNormDefaults();
  }

  /** Which normalization this stage is. */
  abstract NormMethod method();

  /** The library's spec for this stage on this schema; group norm adds its groups. */
  NormalizeSpec spec(StructType schema) {
    return normalizeSpec(method(), schema);
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
    return TensorNormalization.outputSchema(schema, spec(schema));
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    Dataset<Row> frame = dataset.toDF();
    if (!isDefined(shape())) {
      BatchInput.require(frame, getClass().getSimpleName() + ".transform", BatchInput.SHAPE);
    }
    return TensorNormalization.normalize(frame, spec(frame.schema())).frame();
  }

  @Override
  public S copy(ParamMap extra) {
    return defaultCopy(extra);
  }
}
