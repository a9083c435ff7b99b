package io.sparknorm.ml;

import io.sparknorm.core.Affine;
import io.sparknorm.core.NormMethod;
import io.sparknorm.core.Normalizers;
import io.sparknorm.core.Shape;
import io.sparknorm.spark.HandleInvalid;
import io.sparknorm.spark.NormalizeSpec;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.param.DoubleArrayParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.sql.types.StructType;

/**
 * The params every sparknorm stage shares, with Spark ML's names and meanings: {@code inputCol}
 * or {@code inputCols}, {@code outputCol}, {@code shape}, {@code eps}, {@code weight},
 * {@code bias}, {@code handleInvalid}. Setters return the stage itself ({@code S}), for chaining.
 *
 * @param <S> the stage's own type
 */
public interface TensorNormParams<S extends TensorNormParams<S>> extends Params {

  /** The param objects, made once in the stage's constructor. */
  NormParams normParams();

  default Param<String> inputCol() {
    return normParams().inputCol;
  }

  default StringArrayParam inputCols() {
    return normParams().inputCols;
  }

  default Param<String> outputCol() {
    return normParams().outputCol;
  }

  default IntArrayParam shape() {
    return normParams().shape;
  }

  default DoubleParam eps() {
    return normParams().eps;
  }

  default DoubleArrayParam weight() {
    return normParams().weight;
  }

  default DoubleArrayParam bias() {
    return normParams().bias;
  }

  default Param<String> handleInvalid() {
    return normParams().handleInvalid;
  }

  default String getInputCol() {
    return getOrDefault(inputCol());
  }

  default String[] getInputCols() {
    return getOrDefault(inputCols());
  }

  default String getOutputCol() {
    return getOrDefault(outputCol());
  }

  default int[] getShape() {
    return getOrDefault(shape());
  }

  default double getEps() {
    return (Double) getOrDefault(eps());
  }

  default double[] getWeight() {
    return getOrDefault(weight());
  }

  default double[] getBias() {
    return getOrDefault(bias());
  }

  default String getHandleInvalid() {
    return getOrDefault(handleInvalid());
  }

  default S setInputCol(String value) {
    return self(set(inputCol(), value));
  }

  default S setInputCols(String[] value) {
    return self(set(inputCols(), value));
  }

  default S setOutputCol(String value) {
    return self(set(outputCol(), value));
  }

  default S setShape(int[] value) {
    return self(set(shape(), value));
  }

  /** The shape as text, as the job and the SQL functions take it: {@code "3,32,32"}. */
  default S setShape(String value) {
    return setShape(Shape.parse(value).dims());
  }

  default S setEps(double value) {
    return self(set(eps(), value));
  }

  default S setWeight(double[] value) {
    return self(set(weight(), value));
  }

  default S setBias(double[] value) {
    return self(set(bias(), value));
  }

  default S setHandleInvalid(String value) {
    return self(set(handleInvalid(), value));
  }

  /** Spark ML's defaults: eps PyTorch's (1e-5), handleInvalid error, outputCol {@code <uid>__output}. */
  default void setNormDefaults() {
    setDefault(eps(), Normalizers.DEFAULT_EPS);
    setDefault(handleInvalid(), HandleInvalid.ERROR.id());
    setDefault(outputCol(), uid() + "__output");
  }

  /**
   * The library's spec for these params. The checks that are Spark ML's own come first, in its
   * words (exactly one of inputCol and inputCols; the output column must be new); the library
   * checks the rest against the schema.
   */
  default NormalizeSpec normalizeSpec(NormMethod method, StructType schema) {
    boolean single = isSet(inputCol());
    boolean multiple = isSet(inputCols());
    if (single == multiple) {
      throw new IllegalArgumentException(getClass().getSimpleName() + " " + uid() + ": set exactly one of inputCol"
          + " (a tensor column) and inputCols (scalar columns)" + (single ? ", not both" : ""));
    }
    String output = getOutputCol();
    if (Arrays.asList(schema.fieldNames()).contains(output)) {
      throw new IllegalArgumentException("Output column " + output + " already exists.");
    }
    NormalizeSpec spec = new NormalizeSpec(method)
        .outputCol(output)
        .eps(getEps())
        .handleInvalid(HandleInvalid.parse(getHandleInvalid()))
        .affine(Affine.of(isDefined(weight()) ? getWeight() : null, isDefined(bias()) ? getBias() : null));
    if (single) {
      spec.inputCol(getInputCol());
    } else {
      spec.inputCols(List.of(getInputCols()));
    }
    if (isDefined(shape())) {
      spec.shape(Shape.of(getShape()));
    }
    return spec;
  }

  @SuppressWarnings("unchecked")
  private S self(Params same) {
    return (S) same;
  }
}
