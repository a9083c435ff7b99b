package io.sparknorm.sql;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.spark.LocalSpark;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.vectorized.OnHeapColumnVector;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.vectorized.ColumnarArray;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The functions are compiled into Spark's whole-stage generated code and read tensors straight
 * from Parquet's column batches: no row is first copied out of the batch, and a null element
 * anywhere in a batch is still found in its own row.
 */
@ExtendWith(LocalSpark.class)
class GeneratedCodeTest {
  private static SparkSession spark;
  @TempDir static Path dir;

  private static final int ROWS = 300;
  private static final int NULL_ROW = 123;

  /** Rows (id, features) of 4 doubles in one Parquet file; with {@code withNull} row 123's element 2 is null. */
  private static void writeParquet(String name, boolean withNull) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < ROWS; i++) {
      Double third = withNull && i == NULL_ROW ? null : -0.5 * i;
      rows.add(RowFactory.create(i, new Double[] {i * 1.0, 2.0 * i + 1, third, 3.0 + (i % 7)}));
    }
    spark.createDataFrame(rows, new StructType().add("id", DataTypes.IntegerType)
        .add("features", DataTypes.createArrayType(DataTypes.DoubleType))).coalesce(1)
        .write().parquet(dir.resolve(name).toString());
    spark.read().parquet(dir.resolve(name).toString()).createOrReplaceTempView(name);
  }

  @BeforeAll
  static void prepareData() {
    writeParquet("clean", false);
    writeParquet("holed", true);
  }

  @Test
  void everyFunctionRunsInWholeStageCodegenOverParquetBatches() {
    List<String> calls = List.of("layer_norm(features, '4')", "instance_norm(features, '2,2')",
        "group_norm(features, '4', 2)", "batch_norm(features, array(1D, 2D, 3D, 4D), array(1D, 2D, 3D, 4D))",
        "batch_norm(features, (SELECT batch_norm_stats(features, '4') FROM clean))", "try_layer_norm(features, '4')");
    for (String call : calls) {
      Dataset<Row> query = spark.sql("SELECT id, " + call + " AS y FROM clean");
      List<Row> rows = query.collectAsList();
      // After the run: with a subquery, adaptive execution shows its final plan only then.
      String plan = query.queryExecution().executedPlan().toString();
      String function = call.substring(0, call.indexOf('('));
      String project = plan.lines().filter(l -> l.contains("Project [") && l.contains(function + "("))
          .findFirst().orElseThrow(() -> new AssertionError(call + ": no projection in " + plan));
      // "*(n)" marks an operator compiled into whole-stage generated code.
      assertTrue(project.strip().matches("(\\+- )?\\*\\(\\d+\\) Project \\[.*"), call + ": " + plan);
      assertEquals(ROWS, rows.size(), call);
      assertEquals(ROWS, rows.stream().filter(r -> !r.isNullAt(1) && r.getList(1).size() == 4).count(), call);
    }
  }

  @Test
  void generatedCodeGivesTheInterpretedPathsNumbers() {
    String sql = "SELECT id, layer_norm(features, '4') AS a, group_norm(features, '4', 2, 1e-3D) AS b FROM clean"
        + " ORDER BY id";
    List<Row> compiled = spark.sql(sql).collectAsList();
    List<Row> interpreted;
    spark.conf().set("spark.sql.codegen.wholeStage", "false");
    spark.conf().set("spark.sql.codegen.factoryMode", "NO_CODEGEN");
    try {
      Dataset<Row> query = spark.sql(sql);
      interpreted = query.collectAsList();
      String plan = query.queryExecution().executedPlan().toString();
      assertTrue(plan.contains("Project [") && !plan.contains("*("), "no generated stage: " + plan);
    } finally {
      spark.conf().unset("spark.sql.codegen.wholeStage");
      spark.conf().unset("spark.sql.codegen.factoryMode");
    }
    assertEquals(ROWS, compiled.size());
    for (int i = 0; i < ROWS; i++) {
      for (int column = 1; column <= 2; column++) {
        assertArrayEquals(doubles(interpreted.get(i).getList(column)), doubles(compiled.get(i).getList(column)),
            "row " + i + " column " + column);
      }
    }
  }

  private static double[] doubles(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).toArray();
  }

  @Test
  void aNullElementInABatchFailsOnlyItsOwnRow() {
    List<Row> rows = spark.sql("SELECT id, try_layer_norm(features, '4') FROM holed ORDER BY id").collectAsList();
    assertEquals(ROWS, rows.size());
    for (Row row : rows) {
      assertEquals(row.getInt(0) == NULL_ROW, row.isNullAt(1), "row " + row.getInt(0));
    }
    Exception e = assertThrows(Exception.class,
        () -> spark.sql("SELECT layer_norm(features, '4') FROM holed").collectAsList());
    Throwable cause = e;
    while (cause != null && !(cause instanceof InvalidTensorException)) {
      cause = cause.getCause();
    }
    assertNotNull(cause, e.toString());
    assertEquals("layer_norm: tensor argument holed.features: null value at index 2; try_layer_norm returns NULL for"
        + " such a tensor instead", cause.getMessage());
  }

  /** The element vector is read from Spark's column batch array; if a Spark release hides it, this says so. */
  @Test
  void theElementVectorBehindABatchArrayIsReachable() {
    try (OnHeapColumnVector elements = new OnHeapColumnVector(8, DataTypes.DoubleType)) {
      assertSame(elements, ColumnarArrays.elements(new ColumnarArray(elements, 2, 4)));
    }
  }
}
