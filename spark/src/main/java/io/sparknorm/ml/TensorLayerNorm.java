package io.sparknorm.ml;

import io.sparknorm.core.NormMethod;
import org.apache.spark.ml.util.DefaultParamsReadable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;

/**
 * Layer norm as a Spark ML Transformer, like {@code torch.nn.functional.layer_norm}: the SQL
 * function {@code layer_norm} applied to {@code inputCol} (or the {@code inputCols} assembled),
 * the result in {@code outputCol}. Saved and loaded with Spark ML's default params persistence.
 *
 * <pre>{@code
 * new TensorLayerNorm().setInputCol("features").setOutputCol("normalized").setShape("1,8,8").transform(df)
 * }</pre>
 */
public final class TensorLayerNorm extends PerSampleNorm<TensorLayerNorm> {
  private static final long serialVersionUID = 1L;

  public TensorLayerNorm(String uid) {
    super(uid);
  }

  public TensorLayerNorm() {
    this(Identifiable.randomUID("tensorLayerNorm"));
  }

  @Override
  NormMethod method() {
    return NormMethod.LAYER;
  }

  public static MLReader<TensorLayerNorm> read() {
    return new DefaultParamsReadable<TensorLayerNorm>() {}.read();
  }

  public static TensorLayerNorm load(String path) {
    return read().load(path);
  }
}
