package io.sparknorm.spark;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.core.NormMethod;
import io.sparknorm.core.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.TaskContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library's frame is one logical plan that Spark's optimizer sees through, and its counts are
 * exact when a task fails and is retried.
 */
@ExtendWith(LocalSpark.class)
class PlanTest {
  private static SparkSession spark;
  @TempDir static Path dir;
  private static Dataset<Row> parquet;

  @BeforeAll
  static void prepareData() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      rows.add(RowFactory.create(i, "label" + (i % 5), new Double[] {i * 1.0, i * 2.0 + 1, -i * 0.5, 3.0}));
    }
    spark.createDataFrame(rows, new StructType().add("id", DataTypes.IntegerType).add("label", DataTypes.StringType)
        .add("features", DataTypes.createArrayType(DataTypes.DoubleType))).repartition(2)
        .write().parquet(dir.resolve("data").toString());
    parquet = spark.read().parquet(dir.resolve("data").toString());
  }

  private static String scanOf(Dataset<Row> frame) {
    String plan = frame.queryExecution().executedPlan().toString();
    return plan.lines().filter(l -> l.contains("FileScan")).findFirst().orElseThrow(() -> new AssertionError(plan));
  }

  @Test
  void selectingAPassthroughColumnNeitherNormalizesNorReadsTheTensor() {
    for (NormMethod method : List.of(NormMethod.LAYER, NormMethod.GROUP, NormMethod.BATCH)) {
      NormalizeSpec spec = new NormalizeSpec(method).shape(Shape.of(4)).groups(2);
      Dataset<Row> ids = TensorNormalization.normalize(parquet, spec).frame().select("id");
      String optimized = ids.queryExecution().optimizedPlan().toString();
      assertFalse(optimized.contains("_norm"), method + ": " + optimized);
      String scan = scanOf(ids);
      assertTrue(scan.contains("ReadSchema: struct<id:int>"), method + ": " + scan);
      assertEquals(200, ids.collectAsList().size());
    }
  }

  /**
   * The job's counted frame (error mode) counts its rows above the projection: the projection stays
   * in the generated stage right over the Parquet scan's column batches, and Spark's observation,
   * which is not generated code, comes after it (below it, Spark would copy every input row out of
   * the batches first). The counts are those of the rows read.
   */
  @Test
  void countingLeavesTheProjectionOverTheColumnBatches() {
    for (NormMethod method : List.of(NormMethod.LAYER, NormMethod.BATCH)) {
      NormalizationResult result = TensorNormalization.normalize(parquet, new NormalizeSpec(method).shape(Shape.of(4)));
      Dataset<Row> counted = result.countedFrame();
      assertEquals(200, counted.collectAsList().size());
      assertEquals(200, result.counts().rowsIn());
      assertEquals(0, result.counts().rowsSkipped());
      String text = counted.queryExecution().executedPlan().toString();
      List<String> plan = text.lines().toList();
      String function = method == NormMethod.LAYER ? "layer_norm(" : "batch_norm(";
      int project = 0;
      while (project < plan.size() && !(plan.get(project).contains("Project [") && plan.get(project).contains(function))) {
        project++;
      }
      assertTrue(project < plan.size(), method + ": no projection in " + text);
      java.util.regex.Matcher stage = java.util.regex.Pattern.compile("\\*\\((\\d+)\\) Project \\[").matcher(plan.get(project));
      assertTrue(stage.find(), method + ": projection not in generated code: " + text);
      assertTrue(plan.get(project + 1).contains("*(" + stage.group(1) + ") ColumnarToRow"),
          method + ": the projection's input is not the scan's batches: " + text);
      int metrics = text.indexOf("CollectMetrics");
      assertTrue(metrics >= 0 && metrics < text.indexOf(plan.get(project)), method + ": " + text);
    }
  }

  /**
   * Statistics per key: the fit is one aggregation whose shuffle carries exact states (partial
   * aggregation first), and the rows reach their key's statistics through a broadcast join: no
   * exchange of rows.
   */
  @Test
  void statisticsPerKeyShuffleStatesAndBroadcastThemNeverRows() throws Exception {
    NormalizeSpec spec = new NormalizeSpec(NormMethod.BATCH).shape(Shape.of(4)).by(List.of("label"));
    List<String> fitPlans = new ArrayList<>();
    org.apache.spark.sql.util.QueryExecutionListener listener = new org.apache.spark.sql.util.QueryExecutionListener() {
      @Override
      public void onSuccess(String funcName, org.apache.spark.sql.execution.QueryExecution qe, long durationNs) {
        fitPlans.add(qe.executedPlan().toString());
      }

      @Override
      public void onFailure(String funcName, org.apache.spark.sql.execution.QueryExecution qe, Exception exception) {}
    };
    spark.listenerManager().register(listener);
    NormalizationResult result;
    try {
      result = TensorNormalization.normalize(parquet, spec);
      spark.sparkContext().listenerBus().waitUntilEmpty();
    } finally {
      spark.listenerManager().unregister(listener);
    }
    assertEquals(5, result.keyedStatistics().entries().size());
    assertEquals(1, fitPlans.size(), fitPlans.toString());
    String fit = fitPlans.get(0);
    assertTrue(fit.contains("partial_batch_norm_stats"), fit);
    assertTrue(fit.contains("Exchange hashpartitioning(label"), fit);

    Dataset<Row> normalized = result.frame();
    assertEquals(200, normalized.collectAsList().size());
    String plan = normalized.queryExecution().executedPlan().toString();
    assertTrue(plan.contains("BroadcastHashJoin"), plan);
    assertFalse(plan.contains("Exchange hashpartitioning") || plan.contains("SortMergeJoin"), plan);
  }

  @Test
  void aFilterOnAPassthroughColumnIsPushedToParquet() {
    Dataset<Row> filtered = TensorNormalization.normalize(parquet, new NormalizeSpec(NormMethod.LAYER)
        .shape(Shape.of(4)).handleInvalid(HandleInvalid.KEEP)).frame().filter(col("id").gt(150));
    String scan = scanOf(filtered);
    assertTrue(scan.contains("GreaterThan(id,150)"), scan);
    String plan = filtered.queryExecution().executedPlan().toString();
    assertTrue(plan.contains("layer_norm("), plan);
    assertEquals(49, filtered.collectAsList().size());
  }

  /** Fails the first attempt of partition 0's task at row 30 of the input: Spark retries that task. */
  private static final UDF1<Integer, Integer> FAIL_ONCE = id -> {
    TaskContext task = TaskContext.get();
    if (task.attemptNumber() == 0 && task.partitionId() == 0 && id == 30) {
      throw new IllegalStateException("injected task failure");
    }
    return id;
  };

  @Test
  void countsAreExactWhenATaskFailsAndIsRetried() throws Exception {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      Double[] x = i % 10 == 7 ? new Double[] {1.0, Double.NaN} : new Double[] {i * 1.0, -i - 1.0};
      rows.add(RowFactory.create(i, x));
    }
    Dataset<Row> input = spark.createDataFrame(rows, new StructType().add("id", DataTypes.IntegerType)
        .add("features", DataTypes.createArrayType(DataTypes.DoubleType))).coalesce(2);
    AtomicInteger failedTasks = new AtomicInteger();
    SparkListener listener = new SparkListener() {
      @Override
      public void onTaskEnd(SparkListenerTaskEnd end) {
        if (!end.taskInfo().successful()) {
          failedTasks.incrementAndGet();
        }
      }
    };
    spark.sparkContext().addSparkListener(listener);
    try {
      spark.udf().register("fail_once", FAIL_ONCE, DataTypes.IntegerType);
      NormalizationResult result = TensorNormalization.normalize(input,
          new NormalizeSpec(NormMethod.LAYER).shape(Shape.of(2)).handleInvalid(HandleInvalid.SKIP));
      String out = dir.resolve("retried").toString();
      result.countedFrame().withColumn("id", org.apache.spark.sql.functions.callUDF("fail_once", col("id")))
          .write().parquet(out);
      spark.sparkContext().listenerBus().waitUntilEmpty();
      assertEquals(1, failedTasks.get(), "one task failed and was retried");
      NormalizationResult.Counts counts = result.counts();
      assertEquals(100, counts.rowsIn());
      assertEquals(10, counts.rowsSkipped());
      List<Row> written = spark.read().parquet(out).orderBy("id").collectAsList();
      assertEquals(90, written.size());
      assertEquals(90, written.stream().map(r -> r.getInt(0)).distinct().count(), "no row doubled");
      for (Row row : written) {
        assertTrue(row.getInt(0) % 10 != 7);
        List<Double> y = row.getList(1);
        assertEquals(-1.0, y.get(1), 1e-4);
        assertEquals(1.0, y.get(0), 1e-4);
      }
      // error, the default: the rows are counted above the projection, as exactly.
      failedTasks.set(0);
      NormalizationResult clean = TensorNormalization.normalize(input.filter(col("id").mod(10).notEqual(7)),
          new NormalizeSpec(NormMethod.LAYER).shape(Shape.of(2)));
      String cleanOut = dir.resolve("retried-error").toString();
      clean.countedFrame().withColumn("id", org.apache.spark.sql.functions.callUDF("fail_once", col("id")))
          .write().parquet(cleanOut);
      spark.sparkContext().listenerBus().waitUntilEmpty();
      assertEquals(1, failedTasks.get(), "error mode: one task failed and was retried");
      assertEquals(90, clean.counts().rowsIn());
      assertEquals(0, clean.counts().rowsSkipped());
      List<Row> cleanWritten = spark.read().parquet(cleanOut).collectAsList();
      assertEquals(90, cleanWritten.size());
      assertEquals(90, cleanWritten.stream().map(r -> r.getInt(0)).distinct().count(), "no row doubled");
    } finally {
      spark.sparkContext().removeSparkListener(listener);
    }
    assertTrue(Files.exists(dir.resolve("retried")));
  }
}
