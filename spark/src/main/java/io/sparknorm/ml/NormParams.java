package io.sparknorm.ml;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.param.DoubleArrayParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.param.StringArrayParam;
import scala.Function1;

/**
 * The {@link Param} objects of one sparknorm stage, made once in its constructor with the stage as
 * their parent (Spark ML's shared params are Scala trait fields; a Java interface cannot hold
 * fields, so {@link TensorNormParams} reaches them here).
 *
 * <p>Internal: public only because {@link TensorNormParams#normParams()}, an interface method,
 * names it; its fields and constructor are the package's. Not part of the API: use the params'
 * accessors ({@code eps()}, {@code getEps()}, {@code setEps}).
 */
public final class NormParams {
  final Param<String> inputCol;
  final StringArrayParam inputCols;
  final Param<String> outputCol;
  final IntArrayParam shape;
  final DoubleParam eps;
  final DoubleArrayParam weight;
  final DoubleArrayParam bias;
  final Param<String> handleInvalid;

  private static Object positiveSizes(int[] dims) {
    return dims.length > 0 && Arrays.stream(dims).allMatch(d -> d > 0);
  }

  NormParams(Params owner) {
    inputCol = new Param<>(owner, "inputCol",
        "the tensor column: an array of numbers, a Spark ML vector, JSON array text or an image struct");
    inputCols = new StringArrayParam(owner, "inputCols",
        "instead of inputCol: scalar numeric columns assembled into the tensor, in this order");
    outputCol = new Param<>(owner, "outputCol", "the normalized column (a new column)");
    shape = new IntArrayParam(owner, "shape",
        "one sample's shape, channels first, e.g. [3, 32, 32], every size > 0; unset: (length of the first valid"
            + " row,)", (Function1<int[], Object> & Serializable) NormParams::positiveSizes);
    eps = new DoubleParam(owner, "eps", "added to the variance inside the square root (>= 0)",
        ParamValidators.gtEq(0.0));
    weight = new DoubleArrayParam(owner, "weight",
        "affine weight: one value per channel (batch, instance, group) or per element (layer)");
    bias = new DoubleArrayParam(owner, "bias",
        "affine bias: one value per channel (batch, instance, group) or per element (layer)");
    handleInvalid = new Param<>(owner, "handleInvalid",
        "what to do with a row whose tensor is null, of the wrong length, or holds NaN or infinity: 'error' (fail),"
            + " 'skip' (drop the row) or 'keep' (keep it with a null result); invalid rows never feed statistics",
        ParamValidators.inArray(List.of("error", "skip", "keep")));
  }
}
