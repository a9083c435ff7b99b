package io.sparknorm.sql;

import static io.sparknorm.sql.GoldenFrames.literal;
import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sparknorm.core.GoldenFiles;
import io.sparknorm.core.NormMethod;
import io.sparknorm.spark.LocalSpark;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every golden case through the SQL functions (a SQL string) and through the DataFrame API
 * ({@link functions}), in-process; batch norm as {@code batch_norm_stats} then {@code batch_norm},
 * its statistics against the goldens'. The same tolerances as the core's golden test.
 */
@ExtendWith(LocalSpark.class)
class SqlGoldenTest {
  private static SparkSession spark;

  static List<GoldenFiles.Case> cases() {
    return GoldenFiles.cases();
  }

  static List<GoldenFiles.Case> batchCases() {
    return GoldenFiles.cases().stream().filter(c -> c.method() == NormMethod.BATCH).toList();
  }

  private static String shapeText(GoldenFiles.Case c) {
    return c.shape().toString().replace("(", "").replace(")", "").replaceAll(",$", "");
  }

  /** The SQL call of a per-sample case, or batch_norm with the statistics column s. */
  private static String call(GoldenFiles.Case c, String tensor) {
    String affine = literal(c.eps()) + ", " + literal(c.weight()) + ", " + literal(c.bias());
    return switch (c.method()) {
      case LAYER -> "layer_norm(" + tensor + ", '" + shapeText(c) + "', " + affine + ")";
      case INSTANCE -> "instance_norm(" + tensor + ", '" + shapeText(c) + "', " + affine + ")";
      case GROUP -> "group_norm(" + tensor + ", '" + shapeText(c) + "', " + c.groups() + ", " + affine + ")";
      case BATCH -> "batch_norm(" + tensor + ", s, " + affine + ")";
    };
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void everyGoldenCaseThroughSql(GoldenFiles.Case c) {
    GoldenFrames.frame(spark, c).createOrReplaceTempView("golden");
    String from = c.method() == NormMethod.BATCH
        ? "golden CROSS JOIN (SELECT batch_norm_stats(features, '" + shapeText(c) + "') AS s FROM golden)" : "golden";
    List<Row> out = spark.sql("SELECT row, " + call(c, "features") + " AS y FROM " + from + " ORDER BY row")
        .collectAsList();
    GoldenFrames.assertOutputs(c, out, 1, "SQL");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void everyGoldenCaseThroughTheDataFrameApi(GoldenFiles.Case c) {
    Dataset<Row> input = GoldenFrames.frame(spark, c);
    String shape = shapeText(c);
    Column features = col("features");
    Column y = switch (c.method()) {
      case LAYER -> functions.layerNorm(features, shape, c.eps(), c.weight(), c.bias());
      case INSTANCE -> functions.instanceNorm(features, shape, c.eps(), c.weight(), c.bias());
      case GROUP -> functions.groupNorm(features, shape, c.groups(), c.eps(), c.weight(), c.bias());
      case BATCH -> functions.batchNorm(features, col("s"), c.eps(), c.weight(), c.bias());
    };
    Dataset<Row> frame = c.method() != NormMethod.BATCH ? input
        : input.crossJoin(input.agg(functions.batchNormStats(features, shape).as("s")));
    GoldenFrames.assertOutputs(c, frame.select(col("row"), y).orderBy("row").collectAsList(), 1, "DataFrame API");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("batchCases")
  void batchNormStatsMatchTheGoldens(GoldenFiles.Case c) {
    GoldenFrames.frame(spark, c).createOrReplaceTempView("golden");
    Row s = spark.sql("SELECT batch_norm_stats(features, '" + shapeText(c) + "') AS s FROM golden").first()
        .getStruct(0);
    assertEquals(c.count(), s.getLong(s.fieldIndex("count")));
    GoldenFrames.assertStatistic(c.mean(), c.exactMean(), s.getList(s.fieldIndex("mean")), "mean");
    GoldenFrames.assertStatistic(c.variance(), c.exactVariance(), s.getList(s.fieldIndex("var")), "var");
    GoldenFrames.assertStatistic(c.unbiasedVariance(), c.exactUnbiasedVariance(),
        s.getList(s.fieldIndex("var_unbiased")), "var_unbiased");
    assertEquals(List.of(c.shape().dims()[0]), s.getList(s.fieldIndex("shape")).subList(0, 1));
  }
}
