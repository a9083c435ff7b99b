package io.sparknorm.sql;

import org.apache.spark.sql.Column;

/**
 * sparknorm's DataFrame API for Java and Scala, like {@code org.apache.spark.sql.functions}: each
 * method returns a {@link Column} that calls the SQL function of the same name, so the session
 * needs {@code spark.sql.extensions=io.sparknorm.sql.SparknormExtensions}. Calling by name is what
 * makes these work on a Spark Connect client too (and PySpark's {@code F.call_function} is the
 * same call). Constant arguments go in as literals.
 *
 * <pre>
 *   import static io.sparknorm.sql.functions.*;
 *   df.select(groupNorm(col("pixels"), "3,32,32", 8).as("normalized"));
 *   Row stats = df.agg(batchNormStats(col("features"), "13").as("s")).first();
 * </pre>
 */
@SuppressWarnings("checkstyle:TypeName")
public final class functions {
  private functions() {}

  private static Column call(String name, Column... arguments) {
    return org.apache.spark.sql.functions.call_function(name, arguments);
  }

  private static Column lit(Object value) {
    return org.apache.spark.sql.functions.lit(value);
  }

  /** Layer norm over the whole sample of this shape (such as "3,32,32"); eps 1e-5, no affine. */
  public static Column layerNorm(Column tensor, String shape) {
    return call("layer_norm", tensor, lit(shape));
  }

  public static Column layerNorm(Column tensor, String shape, double eps) {
    return call("layer_norm", tensor, lit(shape), lit(eps));
  }

  /** Weight and bias of one value per element; either may be null (1 and 0). */
  public static Column layerNorm(Column tensor, String shape, double eps, double[] weight, double[] bias) {
    return call("layer_norm", tensor, lit(shape), lit(eps), lit(weight), lit(bias));
  }

  /** NULL instead of a failure for an invalid tensor. */
  public static Column tryLayerNorm(Column tensor, String shape) {
    return call("try_layer_norm", tensor, lit(shape));
  }

  /** Instance norm: each channel over its spatial positions; eps 1e-5, no affine. */
  public static Column instanceNorm(Column tensor, String shape) {
    return call("instance_norm", tensor, lit(shape));
  }

  public static Column instanceNorm(Column tensor, String shape, double eps) {
    return call("instance_norm", tensor, lit(shape), lit(eps));
  }

  /** Weight and bias of one value per channel; either may be null. */
  public static Column instanceNorm(Column tensor, String shape, double eps, double[] weight, double[] bias) {
    return call("instance_norm", tensor, lit(shape), lit(eps), lit(weight), lit(bias));
  }

  public static Column tryInstanceNorm(Column tensor, String shape) {
    return call("try_instance_norm", tensor, lit(shape));
  }

  /** Group norm with {@code groups} groups of consecutive channels; eps 1e-5, no affine. */
  public static Column groupNorm(Column tensor, String shape, int groups) {
    return call("group_norm", tensor, lit(shape), lit(groups));
  }

  public static Column groupNorm(Column tensor, String shape, int groups, double eps) {
    return call("group_norm", tensor, lit(shape), lit(groups), lit(eps));
  }

  /** Weight and bias of one value per channel; either may be null. */
  public static Column groupNorm(Column tensor, String shape, int groups, double eps, double[] weight, double[] bias) {
    return call("group_norm", tensor, lit(shape), lit(groups), lit(eps), lit(weight), lit(bias));
  }

  public static Column tryGroupNorm(Column tensor, String shape, int groups) {
    return call("try_group_norm", tensor, lit(shape), lit(groups));
  }

  /** The aggregate: batch statistics of each channel (count, mean, var, var_unbiased, ...). */
  public static Column batchNormStats(Column tensor, String shape) {
    return call("batch_norm_stats", tensor, lit(shape));
  }

  /** Batch norm with statistics: a column (or literal) of what {@link #batchNormStats} returns. */
  public static Column batchNorm(Column tensor, Column stats) {
    return call("batch_norm", tensor, stats);
  }

  public static Column batchNorm(Column tensor, Column stats, double eps) {
    return call("batch_norm", tensor, stats, lit(eps));
  }

  /** Weight and bias of one value per channel; either may be null. */
  public static Column batchNorm(Column tensor, Column stats, double eps, double[] weight, double[] bias) {
    return call("batch_norm", tensor, stats, lit(eps), lit(weight), lit(bias));
  }

  /** Batch norm with a given mean and (biased) variance per channel, such as PyTorch's running statistics. */
  public static Column batchNorm(Column tensor, double[] mean, double[] var, double eps) {
    return call("batch_norm", tensor, lit(mean), lit(var), lit(eps));
  }

  public static Column tryBatchNorm(Column tensor, Column stats) {
    return call("try_batch_norm", tensor, stats);
  }

  /**
   * The aggregate {@code tensor_profile}: the profile (JSON string) of the valid tensors of this shape,
   * per channel counts, mean, variance, min, max, modes and KLL sketch; what {@link #profileShift} compares.
   */
  public static Column tensorProfile(Column tensor, String shape) {
    return call("tensor_profile", tensor, lit(shape));
  }

  /** {@code profile_shift}: two profiles (JSON strings) compared channel by channel, as the shift JSON string. */
  public static Column profileShift(Column reference, Column current) {
    return call("profile_shift", reference, current);
  }
}
