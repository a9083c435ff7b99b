package io.sparknorm.ml;

import io.sparknorm.core.NormMethod;
import io.sparknorm.spark.NormalizeSpec;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReadable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.types.StructType;

/**
 * Group norm as a Spark ML Transformer, like {@code torch.nn.functional.group_norm}: the SQL
 * function {@code group_norm} with {@code groups} groups of consecutive channels (it must divide
 * the channels). Saved and loaded with Spark ML's default params persistence.
 *
 * <pre>{@code
 * new TensorGroupNorm().setInputCol("features").setOutputCol("normalized").setShape("4,4,4").setGroups(2)
 * }</pre>
 */
public final class TensorGroupNorm extends PerSampleNorm<TensorGroupNorm> {
  private static final long serialVersionUID = 1L;

  private final IntParam groups = new IntParam(this, "groups",
      "the number of groups of consecutive channels (> 0, dividing the channels)", ParamValidators.gt(0));

  public TensorGroupNorm(String uid) {
    super(uid);
  }

  public TensorGroupNorm() {
    this(Identifiable.randomUID("tensorGroupNorm"));
  }

  public IntParam groups() {
    return groups;
  }

  public int getGroups() {
    return (Integer) getOrDefault(groups);
  }

  public TensorGroupNorm setGroups(int value) {
    set(groups, value);
    return this;
  }

  @Override
  NormMethod method() {
    return NormMethod.GROUP;
  }

  @Override
  NormalizeSpec spec(StructType schema) {
    if (!isDefined(groups)) {
      throw new IllegalArgumentException("TensorGroupNorm " + uid() + ": set groups (the number of channel groups)");
    }
    return super.spec(schema).groups(getGroups());
  }

  public static MLReader<TensorGroupNorm> read() {
    return new DefaultParamsReadable<TensorGroupNorm>() {}.read();
  }

  public static TensorGroupNorm load(String path) {
    return read().load(path);
  }
}
