package io.sparknorm.sql;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.ExactMoments;
import io.sparknorm.core.Shape;
import io.sparknorm.spark.LocalSpark;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The SQL functions' contract: documentation, registration, errors, try_ and NULL, GROUP BY, determinism. */
@ExtendWith(LocalSpark.class)
class SqlFunctionsTest {
  private static SparkSession spark;

  private static final Pattern EXAMPLE = Pattern.compile("> (SELECT .*?);\\n((?:       .*\\n)+)");

  /** Runs every documented example and compares the documented output (each column cast to string). */
  @Test
  void everyDocumentedExampleGivesItsDocumentedOutput() {
    int examples = 0;
    for (SqlFunctions.Definition definition : SqlFunctions.all()) {
      String text = definition.info().getExamples();
      Matcher m = EXAMPLE.matcher(text);
      int found = 0;
      while (m.find()) {
        found++;
        Dataset<Row> result = spark.sql(m.group(1));
        String[] names = result.columns();
        StringBuilder select = new StringBuilder();
        for (int i = 0; i < names.length; i++) {
          select.append(i > 0 ? ", " : "").append("CAST(`").append(names[i]).append("` AS STRING)");
        }
        List<String> lines = new ArrayList<>();
        for (Row row : result.selectExpr(select.toString().split(", (?=CAST)")).collectAsList()) {
          List<String> cells = new ArrayList<>();
          for (int i = 0; i < row.size(); i++) {
            cells.add(row.getString(i));
          }
          lines.add(String.join("\t", cells));
        }
        List<String> documented = m.group(2).lines().map(String::strip).toList();
        assertEquals(documented, lines, definition.name() + ": " + m.group(1));
      }
      assertTrue(found > 0, definition.name() + " documents an example");
      examples += found;
    }
    assertTrue(examples >= 14, "examples run: " + examples);
  }

  @Test
  void describeFunctionShowsUsageArgumentsAndExamples() {
    String described = String.join("\n", spark.sql("DESCRIBE FUNCTION EXTENDED layer_norm").as(
        org.apache.spark.sql.Encoders.STRING()).collectAsList());
    assertTrue(described.contains("Function: layer_norm"), described);
    assertTrue(described.contains("Usage: layer_norm(tensor, shape[, eps[, weight, bias]]) - Layer norm"), described);
    assertTrue(described.contains("* shape - one sample's shape"), described);
    assertTrue(described.contains("> SELECT layer_norm(array(1F, 2F, 3F), '3');"), described);
    String stats = String.join("\n", spark.sql("DESCRIBE FUNCTION EXTENDED batch_norm_stats").as(
        org.apache.spark.sql.Encoders.STRING()).collectAsList());
    assertTrue(stats.contains("GROUP BY k"), stats);
  }

  @Test
  void showFunctionsListsThemAll() {
    List<String> listed = spark.sql("SHOW FUNCTIONS LIKE '*norm*'").as(org.apache.spark.sql.Encoders.STRING())
        .collectAsList();
    for (String name : List.of("layer_norm", "instance_norm", "group_norm", "batch_norm", "batch_norm_stats",
        "try_layer_norm", "try_instance_norm", "try_group_norm", "try_batch_norm")) {
      assertTrue(listed.contains(name), name + " in " + listed);
    }
  }

  private static String failure(String sql) {
    Exception e = assertThrows(Exception.class, () -> spark.sql(sql).collectAsList());
    InvalidTensorException invalid = find(e, InvalidTensorException.class);
    if (invalid != null) {
      return invalid.getMessage();
    }
    IllegalArgumentException argument = find(e, IllegalArgumentException.class);
    return argument != null ? argument.getMessage() : e.toString();
  }

  private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }

  @Test
  void anInvalidTensorFailsTheQueryNamingTheFunctionTheArgumentAndTheRule() {
    spark.sql("SELECT * FROM VALUES (0, array(1F, 2F, 3F)), (1, array(1F, 2F)), (2, array(1F, float('NaN'), 3F)),"
        + " (3, array(1F, NULL, 3F)), (4, CAST(NULL AS ARRAY<FLOAT>)) AS t(id, x)").createOrReplaceTempView("bad");
    assertEquals("layer_norm: tensor argument bad.x: tensor of length 2 does not match shape (3,) (3 elements);"
        + " try_layer_norm returns NULL for such a tensor instead",
        failure("SELECT layer_norm(x, '3') FROM bad WHERE id = 1"));
    assertEquals("group_norm: tensor argument bad.x: value NaN at index 1 is not finite; try_group_norm returns NULL for"
        + " such a tensor instead", failure("SELECT group_norm(x, '3', 3) FROM bad WHERE id = 2"));
    assertEquals("instance_norm: tensor argument bad.x: null value at index 1; try_instance_norm returns NULL for such a"
        + " tensor instead", failure("SELECT instance_norm(x, '1,3') FROM bad WHERE id = 3"));
    assertEquals("batch_norm_stats: tensor argument bad.x: tensor of length 2 does not match shape (3,) (3 elements)",
        failure("SELECT batch_norm_stats(x, '3') FROM bad WHERE id < 3"));

    List<Row> tried = spark.sql("SELECT id, try_layer_norm(x, '3') FROM bad ORDER BY id").collectAsList();
    assertEquals(5, tried.size(), "no row is dropped");
    assertNotNull(tried.get(0).get(1));
    for (int i = 1; i < 5; i++) {
      assertNull(tried.get(i).get(1), "row " + i);
    }
    assertNull(spark.sql("SELECT layer_norm(x, '3') FROM bad WHERE id = 4").first().get(0), "NULL gives NULL");
    assertNull(spark.sql("SELECT try_batch_norm(x, array(0D, 0D, 0D), array(1D, 1D, 1D)) FROM bad WHERE id = 1")
        .first().get(0));
  }

  @Test
  void aConstantTensorWithEpsZeroFailsOrIsNullNeverNaN() {
    spark.sql("SELECT * FROM VALUES (0, array(1D, 2D, 3D)), (1, array(5D, 5D, 5D)), (2, array(1e-200D, 2e-200D,"
        + " 3e-200D)) AS t(id, x)").createOrReplaceTempView("flat");
    assertEquals("layer_norm: tensor argument flat.x: the sample has variance 0 (all its values are equal) and eps is 0:"
        + " its normalized values are 0/0, not finite; try_layer_norm returns NULL for such a tensor instead",
        failure("SELECT layer_norm(x, '3', 0D) FROM flat WHERE id = 1"));
    List<Row> tried = spark.sql("SELECT id, try_layer_norm(x, '3', 0D) FROM flat ORDER BY id").collectAsList();
    assertNull(tried.get(1).get(1));
    // The tiny row's variance (6.7e-401) underflows a double; its normalized values are about -1.22, 0 and 1.22.
    assertEquals(-Math.sqrt(1.5), tried.get(2).<Double>getList(1).get(0), 1e-15);
    assertEquals(Math.sqrt(1.5), tried.get(2).<Double>getList(1).get(2), 1e-15);
    assertEquals("batch_norm: batch norm channel 1 has variance 0 and eps is 0: its normalized values are 0/0 or x/0,"
        + " not finite; give eps > 0", failure("SELECT batch_norm(x, array(0D, 0D, 0D), array(1D, 0D, 1D), 0D) FROM flat"));
  }

  @Test
  void constantArgumentsAreCheckedBeforeAnyDataIsRead() {
    assertEquals("group_norm: groups 2 does not divide the channel count C = 3 of shape (3,)",
        failure("SELECT group_norm(array(1F, 2F, 3F), '3', 2)"));
    assertTrue(failure("SELECT instance_norm(array(1F, 2F, 3F), '3')")
        .startsWith("instance_norm: instance norm needs more than 1 spatial element per channel, got shape (3,)"));
    assertEquals("layer_norm: argument 3 (eps) eps is -1.0, must be finite and >= 0",
        failure("SELECT layer_norm(array(1F, 2F), '2', -1)"));
    assertEquals("layer_norm: argument 2 (shape) shape '2,x': 'x' is not a whole number; write the dimensions"
        + " channels first, such as 3,32,32", failure("SELECT layer_norm(array(1F, 2F), '2,x')"));
    assertEquals("layer_norm: argument 1 (tensor) is of type int; it must be an array of float, double, int,"
        + " long, short, byte or decimal, or a Spark ML vector (or JSON array text in a string)",
        failure("SELECT layer_norm(1, '2')"));
    assertTrue(failure("SELECT layer_norm(array(1F, 2F))").startsWith("layer_norm takes 2 to 5 arguments, got 1"));
    assertEquals("layer_norm: argument 2 (shape) must be a constant, got CAST(t.x AS STRING)",
        failure("SELECT layer_norm(x, CAST(x AS STRING)) FROM VALUES (array(1F)) AS t(x)"));
    assertEquals("group_norm: affine weight has 2 values, expected 3: one per channel (C = 3) for group norm of"
        + " shape (3,)", failure("SELECT group_norm(array(1F, 2F, 3F), '3', 1, 1e-5, array(1D, 2D), NULL)"));
    assertTrue(failure("SELECT batch_norm(array(1F, 2F), array(0D), array(1D, 2D))")
        .startsWith("batch_norm: argument 3 (var) has 2 values, the mean 1"));
    assertEquals("batch_norm: argument 3 (var) var[2] is -1.0, must be finite and >= 0",
        failure("SELECT batch_norm(array(1D, 2D, 3D), array(1D, 2D, 3D), array(1D, 1D, -1D))"));
    assertEquals("group_norm: argument 6 (bias) affine bias[1] is NaN, must be finite",
        failure("SELECT group_norm(array(1F, 2F), '2', 1, 1e-5, NULL, array(0D, CAST('NaN' AS DOUBLE)))"));
    // No job ran for any of these: each failed while the query was analyzed.
  }

  /**
   * A shape given as an array of ints is read dimension by dimension, in order: instance norm over (2, 4) normalizes
   * each run of 4 values, over (4, 2) each run of 2, and group norm's per-channel affine needs the channel count. A
   * parser that flattened the dimensions into (8,), kept only the first or reversed them would fail or give other
   * numbers here.
   */
  @Test
  void shapeMayBeAnArrayOfInts() {
    double[] x = {1, 2, 4, 8, 3, -1, 0.5, 7};
    String tensor = "array(1D, 2D, 4D, 8D, 3D, -1D, 0.5D, 7D)";
    Row row = spark.sql("SELECT instance_norm(" + tensor + ", array(2, 4)), instance_norm(" + tensor + ", '2,4'),"
        + " instance_norm(" + tensor + ", array(4L, 2L)), group_norm(" + tensor + ", array(4, 2), 2, 1e-5D,"
        + " array(1D, 2D, 3D, 4D), array(0D, 0D, 0D, 1D))").first();
    double[] twoByFour = io.sparknorm.core.Normalizers.instance(Shape.of(2, 4), 1e-5, io.sparknorm.core.Affine.none())
        .apply(x);
    double[] fourByTwo = io.sparknorm.core.Normalizers.instance(Shape.of(4, 2), 1e-5, io.sparknorm.core.Affine.none())
        .apply(x);
    double[] grouped = io.sparknorm.core.Normalizers.group(Shape.of(4, 2), 2, 1e-5,
        io.sparknorm.core.Affine.of(new double[] {1, 2, 3, 4}, new double[] {0, 0, 0, 1})).apply(x);
    assertTrue(!java.util.Arrays.equals(twoByFour, fourByTwo), "the two shapes must give different numbers");
    assertArrayEquals(twoByFour, doubles(row.getList(0)), 0.0, "instance_norm with array(2, 4)");
    assertArrayEquals(twoByFour, doubles(row.getList(1)), 0.0, "instance_norm with '2,4'");
    assertArrayEquals(fourByTwo, doubles(row.getList(2)), 0.0, "instance_norm with array(4L, 2L)");
    assertArrayEquals(grouped, doubles(row.getList(3)), 0.0, "group_norm with array(4, 2) and per-channel affine");
  }

  private static double[] doubles(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).toArray();
  }

  @Test
  void vectorsStayVectors() {
    Dataset<Row> df = spark.createDataFrame(List.of(RowFactory.create(
        org.apache.spark.ml.linalg.Vectors.sparse(4, new int[] {1, 3}, new double[] {2, 6}))),
        new StructType().add("v", org.apache.spark.ml.linalg.SQLDataTypes.VectorType()));
    df.createOrReplaceTempView("vectors");
    Row row = spark.sql("SELECT layer_norm(v, '4') FROM vectors").first();
    double[] expected = io.sparknorm.core.Normalizers.layer(Shape.of(4), 1e-5, io.sparknorm.core.Affine.none())
        .apply(new double[] {0, 2, 0, 6});
    assertArrayEquals(expected, ((org.apache.spark.ml.linalg.Vector) row.get(0)).toArray(), 0.0);
  }

  private static Dataset<Row> keyed(int rows, long seed) {
    Random random = new Random(seed);
    List<Row> data = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      Double[] x = new Double[6];
      for (int k = 0; k < x.length; k++) {
        x[k] = 1e3 * (i % 3) + random.nextGaussian() * (k + 1);
      }
      data.add(RowFactory.create(i, "k" + (i % 3), x));
    }
    return spark.createDataFrame(data, new StructType().add("i", DataTypes.IntegerType).add("k", DataTypes.StringType)
        .add("x", DataTypes.createArrayType(DataTypes.DoubleType)));
  }

  /** GROUP BY gives per-key statistics in one pass, equal to fitting each key's rows alone. */
  @Test
  void groupByStatisticsEqualFittingEachKeyAlone() {
    Dataset<Row> data = keyed(600, 3).repartition(4);
    data.createOrReplaceTempView("keyed");
    List<Row> grouped = spark.sql("SELECT k, batch_norm_stats(x, '2,3') AS s FROM keyed GROUP BY k ORDER BY k")
        .collectAsList();
    assertEquals(3, grouped.size());
    TreeMap<String, ExactMoments> alone = new TreeMap<>();
    for (Row row : data.orderBy("i").collectAsList()) {
      List<Double> x = row.getList(2);
      alone.computeIfAbsent(row.getString(1), k -> new ExactMoments(Shape.of(2, 3)))
          .update(x.stream().mapToDouble(Double::doubleValue).toArray());
    }
    for (Row row : grouped) {
      BatchStatistics expected = alone.get(row.getString(0)).statistics();
      Row s = row.getStruct(1);
      assertEquals(expected.count(), s.getLong(0));
      for (int c = 0; c < 2; c++) {
        assertEquals(expected.mean()[c], s.<Double>getList(1).get(c), 1e-12 * Math.abs(expected.mean()[c]));
        assertEquals(expected.variance()[c], s.<Double>getList(2).get(c), 1e-12 * expected.variance()[c]);
        assertEquals(expected.unbiasedVariance()[c], s.<Double>getList(3).get(c), 1e-12 * expected.unbiasedVariance()[c]);
      }
    }
    // ... and per-key normalization through a join with them.
    List<Row> joined = spark.sql("WITH stats AS (SELECT k, batch_norm_stats(x, '2,3') AS s FROM keyed GROUP BY k)"
        + " SELECT i, batch_norm(x, s) FROM keyed JOIN stats USING (k) ORDER BY i").collectAsList();
    assertEquals(600, joined.size());
  }

  /**
   * The aggregate merges per-partition states in partition order: the same input gives the same
   * bits however Spark's shuffle delivers the partial states.
   */
  @Test
  void batchNormStatsAreTheSameBitsOnEveryRun() {
    Dataset<Row> data = keyed(3000, 9).repartition(16).cache();
    data.createOrReplaceTempView("runs");
    Row first = spark.sql("SELECT batch_norm_stats(x, '6') FROM runs").first().getStruct(0);
    for (int run = 0; run < 3; run++) {
      Row again = spark.sql("SELECT batch_norm_stats(x, '6') FROM runs").first().getStruct(0);
      for (int field = 1; field <= 4; field++) {
        List<Double> a = first.getList(field);
        List<Double> b = again.getList(field);
        for (int c = 0; c < a.size(); c++) {
          assertEquals(Double.doubleToRawLongBits(a.get(c)), Double.doubleToRawLongBits(b.get(c)), "field " + field);
        }
      }
    }
    data.unpersist();
  }
}
