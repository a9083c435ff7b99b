package io.sparknorm.ml;

import io.sparknorm.core.NormMethod;
import org.apache.spark.ml.util.DefaultParamsReadable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;

/**
 * Instance norm as a Spark ML Transformer, like {@code torch.nn.functional.instance_norm}: the SQL
 * function {@code instance_norm} applied to {@code inputCol} (or the {@code inputCols} assembled),
 * the result in {@code outputCol}. Saved and loaded with Spark ML's default params persistence.
 *
 * <pre>{@code
 * new TensorInstanceNorm().setInputCol("features").setOutputCol("normalized").setShape("1,8,8").transform(df)
 * }</pre>
 */
public final class TensorInstanceNorm extends PerSampleNorm<TensorInstanceNorm> {
  private static final long serialVersionUID = 1L;

  public TensorInstanceNorm(String uid) {
    super(uid);
  }

  public TensorInstanceNorm() {
    this(Identifiable.randomUID("tensorInstanceNorm"));
  }

  @Override
  NormMethod method() {
    return NormMethod.INSTANCE;
  }

  public static MLReader<TensorInstanceNorm> read() {
    return new DefaultParamsReadable<TensorInstanceNorm>() {}.read();
  }

  public static TensorInstanceNorm load(String path) {
    return read().load(path);
  }
}
