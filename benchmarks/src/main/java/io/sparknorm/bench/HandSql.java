package io.sparknorm.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Normalization written by hand in Spark SQL, as a user without sparknorm would: the baselines
 * {@code hand-layer} and {@code hand-batch}. Plain Spark, no extension. Both compute in double
 * with eps 1e-5, PyTorch's formula {@code (x - mean) / sqrt(var + eps)} with the biased variance.
 *
 * <p>Layer norm per row: the sum with {@code aggregate}, then the squared deviations with a second
 * {@code aggregate}, then {@code transform}. Each statistic is passed on through an
 * {@code aggregate}'s finish lambda, the one place where Spark keeps it once per row: written as
 * columns of a CTE or fields of a {@code named_struct} (see {@link #layerNormCte}), the optimizer
 * inlines them into {@code transform}'s lambda, and every element computes them again.
 *
 * <p>Batch norm: {@code posexplode} and {@code GROUP BY} the channel with {@code avg} and
 * {@code var_pop}, the per-channel rows collected into two arrays in channel order, joined back (one
 * row: Spark broadcasts it), then {@code transform(features, (x, i) -> ...)} with the index.
 *
 * <p>The numbers are close to sparknorm's, not the same: these sums run in order in floating point
 * ({@code var_pop} with Welford's update), where sparknorm's statistics are exact sums rounded once.
 */
final class HandSql {
  private HandSql() {}

  /** The eps of every hand-written query, the default of sparknorm and PyTorch. */
  static final String EPS = "1e-5";

  /** The view the queries read. */
  private static final String VIEW = "t";

  /** Layer norm by hand over view {@code t}: the other columns in place, the tensor replaced. */
  static String layerNorm(List<String> columns) {
    String f = quote(BenchJobs.TENSOR);
    String n = "size(" + f + ")";
    String normalized = "aggregate(" + f + ", 0D, (acc, x) -> acc + x,\n"
        + "    total -> aggregate(" + f + ", 0D, (acc, x) -> acc + (x - total / " + n + ") * (x - total / " + n + "),\n"
        + "      squares -> transform(" + f + ", x -> (x - total / " + n + ") / sqrt(squares / " + n + " + " + EPS
        + "))))";
    return "SELECT " + select(columns, normalized) + "\nFROM " + VIEW;
  }

  /**
   * Layer norm by hand as most users would first write it, mean and variance as columns of a
   * CTE: Spark's optimizer inlines the variance's {@code aggregate} into {@code transform}'s
   * lambda, so each element computes it again (C x S times a row). Not in the default job set.
   */
  static String layerNormCte(List<String> columns) {
    String f = quote(BenchJobs.TENSOR);
    String normalized = "transform(" + f + ", x -> (x - mean) / sqrt(var + " + EPS + "))";
    return "WITH with_mean AS (\n"
        + "  SELECT *, aggregate(" + f + ", 0D, (acc, x) -> acc + x) / size(" + f + ") AS mean FROM " + VIEW + "\n"
        + "), with_var AS (\n"
        + "  SELECT *, aggregate(" + f + ", 0D, (acc, x) -> acc + (x - mean) * (x - mean)) / size(" + f + ") AS var"
        + " FROM with_mean\n"
        + ")\nSELECT " + select(columns, normalized) + "\nFROM with_var";
  }

  /** Batch norm by hand over view {@code t}, for samples whose channels hold {@code spatial} values each. */
  static String batchNorm(List<String> columns, int spatial) {
    String f = quote(BenchJobs.TENSOR);
    String channel = spatial == 1 ? "pos" : "pos DIV " + spatial;
    String index = spatial == 1 ? "i" : "i DIV " + spatial;
    String normalized = "transform(" + f + ", (x, i) -> (x - channel_mean[" + index + "]) / sqrt(channel_var[" + index
        + "] + " + EPS + "))";
    return "WITH per_channel AS (\n"
        + "  SELECT " + channel + " AS channel, avg(x) AS mean, var_pop(x) AS var\n"
        + "  FROM " + VIEW + " LATERAL VIEW posexplode(" + f + ") exploded AS pos, x\n"
        + "  GROUP BY " + channel + "\n"
        + "), sorted AS (\n"
        + "  SELECT array_sort(collect_list(struct(channel, mean, var))) AS channels FROM per_channel\n"
        + "), stats AS (\n"
        + "  SELECT transform(channels, s -> s.mean) AS channel_mean, transform(channels, s -> s.var) AS channel_var"
        + " FROM sorted\n"
        + ")\nSELECT " + select(columns, normalized) + "\nFROM " + VIEW + " CROSS JOIN stats";
  }

  /** Runs {@code job} (hand-layer, hand-layer-cte or hand-batch) on the Parquet at input, writes Parquet. */
  static void run(SparkSession spark, String job, String input, String output, int spatial) {
    Dataset<Row> data = spark.read().parquet(input);
    data.createOrReplaceTempView(VIEW);
    spark.sql(query(job, List.of(data.columns()), spatial)).write().mode(SaveMode.Overwrite).parquet(output);
  }

  static String query(String job, List<String> columns, int spatial) {
    return switch (job) {
      case "hand-layer" -> layerNorm(columns);
      case "hand-layer-cte" -> layerNormCte(columns);
      case "hand-batch" -> batchNorm(columns, spatial);
      default -> throw new IllegalArgumentException("not a hand-written SQL job: " + job);
    };
  }

  /**
   * Checks the hand-written SQL against sparknorm's SQL functions ({@code layer_norm}, and
   * {@code batch_norm} with {@code batch_norm_stats}) on the rows with {@code id < rows}: prints the
   * largest difference of any element and fails above {@code tolerance}. The session needs
   * sparknorm's extension.
   */
  static void check(SparkSession spark, String input, String shape, int spatial, long rows, double tolerance) {
    Dataset<Row> sample = spark.read().parquet(input).where("id < " + rows);
    sample.createOrReplaceTempView(VIEW);
    List<String> columns = List.of(sample.columns());
    String f = quote(BenchJobs.TENSOR);
    List<String[]> pairs = new ArrayList<>();
    pairs.add(new String[] {"hand-layer",
        "SELECT id, layer_norm(" + f + ", '" + shape + "') AS " + f + " FROM " + VIEW});
    pairs.add(new String[] {"hand-batch", "WITH s AS (SELECT batch_norm_stats(" + f + ", '" + shape + "') AS s FROM "
        + VIEW + ")\nSELECT id, batch_norm(" + f + ", s.s) AS " + f + " FROM " + VIEW + " CROSS JOIN s"});
    for (String[] pair : pairs) {
      spark.sql(query(pair[0], columns, spatial)).createOrReplaceTempView("hand_result");
      spark.sql(pair[1]).createOrReplaceTempView("sparknorm_result");
      Row r = spark.sql("SELECT count(*), max(aggregate(zip_with(h." + f + ", s." + f + ", (a, b) -> abs(a - b)), 0D,"
          + " (m, d) -> greatest(m, d))) FROM hand_result h JOIN sparknorm_result s USING (id)").first();
      long matched = r.getLong(0);
      double largest = r.isNullAt(1) ? Double.NaN : r.getDouble(1);
      System.out.printf(Locale.ROOT, "check: %s against sparknorm on %d rows: largest |difference| %.3g"
          + " (tolerance %.0e; close, not equal: in-order floating-point sums against exact ones)%n",
          pair[0], matched, largest, tolerance);
      if (matched != sample.count() || !(largest <= tolerance)) {
        throw new IllegalStateException(pair[0] + " disagrees with sparknorm: " + matched + " rows matched of "
            + sample.count() + ", largest difference " + largest);
      }
    }
  }

  private static String select(List<String> columns, String normalized) {
    List<String> out = new ArrayList<>();
    for (String name : columns) {
      out.add(name.equals(BenchJobs.TENSOR) ? normalized + " AS " + quote(name) : quote(name));
    }
    return String.join(", ", out);
  }

  private static String quote(String name) {
    return "`" + name.replace("`", "``") + "`";
  }
}
