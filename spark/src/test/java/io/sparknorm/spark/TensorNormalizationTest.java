package io.sparknorm.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.core.Affine;
import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.ExactMoments;
import io.sparknorm.core.GoldenFiles;
import io.sparknorm.core.NormMethod;
import io.sparknorm.core.Normalizer;
import io.sparknorm.core.Normalizers;
import io.sparknorm.core.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The Spark layer in-process: every column kind, batch statistics over partitions, invalid rows, goldens. */
@ExtendWith(LocalSpark.class)
class TensorNormalizationTest {
  private static SparkSession spark;

  private static final double[][] SAMPLES = {
      {1, 2, 3, 4, 5, 6}, {-3, 0, 3, 10, 20, 31}, {7, 7, 8, 8, 9, 9}, {0, 1, 0, 1, 0, 1}};

  private static Object typedArray(double[] values, DataType element) {
    Object[] boxed = new Object[values.length];
    for (int i = 0; i < values.length; i++) {
      double v = values[i];
      boxed[i] = element.equals(DataTypes.DoubleType) ? (Object) v
          : element.equals(DataTypes.FloatType) ? (Object) (float) v
          : element.equals(DataTypes.IntegerType) ? (Object) (int) v
          : element.equals(DataTypes.LongType) ? (Object) (long) v
          : element.equals(DataTypes.ShortType) ? (Object) (short) v : (Object) (byte) v;
    }
    return boxed;
  }

  private static Dataset<Row> frame(DataType tensorType, java.util.function.Function<double[], Object> value) {
    StructType schema = new StructType().add("id", DataTypes.StringType).add("features", tensorType)
        .add("extra", DataTypes.DoubleType);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < SAMPLES.length; i++) {
      rows.add(RowFactory.create("r" + i, value.apply(SAMPLES[i]), i * 0.5));
    }
    return spark.createDataFrame(rows, schema);
  }

  private static double[] tensorOf(Row row, int field) {
    Object v = row.get(field);
    if (v instanceof Vector vector) {
      return vector.toArray();
    }
    List<Object> list = row.getList(field);
    double[] d = new double[list.size()];
    for (int i = 0; i < d.length; i++) {
      d[i] = ((Number) list.get(i)).doubleValue();
    }
    return d;
  }

  static List<Object[]> columnKinds() {
    List<Object[]> kinds = new ArrayList<>();
    for (DataType element : List.of(DataTypes.FloatType, DataTypes.DoubleType, DataTypes.IntegerType,
        DataTypes.LongType, DataTypes.ShortType, DataTypes.ByteType)) {
      kinds.add(new Object[] {element.simpleString(), DataTypes.createArrayType(element), element});
    }
    kinds.add(new Object[] {"dense vector", SQLDataTypes.VectorType(), null});
    kinds.add(new Object[] {"sparse vector", SQLDataTypes.VectorType(), DataTypes.NullType});
    return kinds;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("columnKinds")
  void everyColumnKindIsNormalizedWithTheContractsElementType(String kind, DataType tensorType, DataType element) {
    Dataset<Row> input = frame(tensorType, values -> element == null ? Vectors.dense(values)
        : element.equals(DataTypes.NullType) ? Vectors.dense(values).toSparse() : typedArray(values, element));
    Shape shape = Shape.of(2, 3);
    NormalizationResult result = TensorNormalization.normalize(input,
        new NormalizeSpec(NormMethod.GROUP).shape(shape).groups(2));
    Dataset<Row> out = result.countedFrame();

    assertArrayEquals(new String[] {"id", "features", "extra"}, out.columns());
    DataType expectedType = tensorType.equals(SQLDataTypes.VectorType()) ? SQLDataTypes.VectorType()
        : DataTypes.createArrayType(element.equals(DataTypes.DoubleType) ? DataTypes.DoubleType : DataTypes.FloatType,
            false);
    assertEquals(expectedType, out.schema().apply("features").dataType());

    // One action, so that the row counters count each row once.
    List<Row> rows = new ArrayList<>(out.collectAsList());
    rows.sort(java.util.Comparator.comparing(r -> r.getString(0)));
    assertEquals(SAMPLES.length, rows.size());
    Normalizer reference = Normalizers.group(shape, 2, 1e-5, Affine.none());
    for (int i = 0; i < rows.size(); i++) {
      Row row = rows.get(i);
      assertEquals("r" + i, row.getString(0));
      assertEquals(i * 0.5, row.getDouble(2));
      double[] actual = tensorOf(row, 1);
      if (expectedType.equals(SQLDataTypes.VectorType())
          || ((org.apache.spark.sql.types.ArrayType) expectedType).elementType().equals(DataTypes.DoubleType)) {
        assertArrayEquals(reference.apply(SAMPLES[i]), actual, 0.0);
      } else {
        float[] expected = reference.apply(GoldenFiles.toFloat(SAMPLES[i]));
        for (int j = 0; j < expected.length; j++) {
          assertEquals(expected[j], (float) actual[j], 0.0f);
        }
      }
    }
    assertEquals(SAMPLES.length, result.counts().rowsIn());
    assertEquals(0, result.counts().rowsSkipped());
  }

  @Test
  void scalarColumnsAreAssembledInOrderAndPassThrough() {
    StructType schema = new StructType().add("b", DataTypes.DoubleType).add("a", DataTypes.IntegerType)
        .add("label", DataTypes.StringType);
    List<Row> rows = List.of(RowFactory.create(1.0, 10, "x"), RowFactory.create(2.0, 30, "y"),
        RowFactory.create(4.0, 20, "z"));
    Dataset<Row> input = spark.createDataFrame(rows, schema);
    NormalizationResult result = TensorNormalization.normalize(input,
        new NormalizeSpec(NormMethod.BATCH).inputCols(List.of("a", "b")));
    Dataset<Row> out = result.frame();
    assertArrayEquals(new String[] {"b", "a", "label", "features"}, out.columns());
    assertEquals(DataTypes.createArrayType(DataTypes.DoubleType, false), out.schema().apply("features").dataType());
    List<Row> collected = out.orderBy("label").collectAsList();
    BatchStatistics stats = new ExactMoments(Shape.of(2)).update(new double[] {10, 1}).update(new double[] {30, 2})
        .update(new double[] {20, 4}).statistics();
    Normalizer reference = Normalizers.batch(stats, 1e-5, Affine.none());
    assertArrayEquals(reference.apply(new double[] {10, 1}), tensorOf(collected.get(0), 3), 1e-15);
    assertArrayEquals(reference.apply(new double[] {30, 2}), tensorOf(collected.get(1), 3), 1e-15);
    assertEquals(2.0, collected.get(1).getDouble(0));
    assertEquals(30, collected.get(1).getInt(1));
    assertArrayEquals(stats.mean(), result.statistics().mean(), 0.0);
  }

  @Test
  void theShapeDefaultsToTheLengthOfTheFirstValidRow() {
    StructType schema = new StructType().add("features", DataTypes.createArrayType(DataTypes.DoubleType));
    List<Row> rows = List.of(RowFactory.create((Object) null), RowFactory.create((Object) new Double[] {1.0, 3.0}));
    NormalizationResult result = TensorNormalization.normalize(spark.createDataFrame(rows, schema),
        new NormalizeSpec(NormMethod.LAYER).handleInvalid(HandleInvalid.KEEP));
    assertEquals(Shape.of(2), result.shape());
    List<Row> out = result.countedFrame().collectAsList();
    assertEquals(2, out.size());
    assertEquals(1, result.counts().rowsKeptInvalid());
  }

  private static Dataset<Row> largeOffsetFrame(int rows, long seed) {
    Random random = new Random(seed);
    List<Row> data = new ArrayList<>();
    for (int r = 0; r < rows; r++) {
      Double[] values = new Double[12];
      for (int i = 0; i < values.length; i++) {
        values[i] = (i / 3 == 0 ? 1e8 : i / 3 * 1000.0) + random.nextGaussian() * (1 + i % 3);
      }
      data.add(RowFactory.create(r, values));
    }
    StructType schema = new StructType().add("row", DataTypes.IntegerType)
        .add("features", DataTypes.createArrayType(DataTypes.DoubleType));
    return spark.createDataFrame(data, schema);
  }

  @Test
  void batchStatisticsDoNotDependOnPartitioningOrRowOrder() {
    Dataset<Row> data = largeOffsetFrame(3000, 5).cache();
    Shape shape = Shape.of(4, 3);
    ExactMoments sequential = new ExactMoments(shape);
    for (Row row : data.orderBy("row").collectAsList()) {
      sequential.update(tensorOf(row, 1));
    }
    BatchStatistics expected = sequential.statistics();
    NormalizeSpec spec = new NormalizeSpec(NormMethod.BATCH).shape(shape);
    // Exact sums: the same bits for any partitioning and row order (and a retried task or a lost executor).
    List<Dataset<Row>> layouts = List.of(data.repartition(1), data.repartition(2), data.repartition(3),
        data.repartition(64), data.repartition(1000), data.orderBy(functions.rand(17)).repartition(7),
        data.orderBy(functions.rand(3)).coalesce(1));
    for (Dataset<Row> layout : layouts) {
      BatchStatistics actual = TensorNormalization.fitStatistics(layout, spec);
      assertEquals(expected.count(), actual.count());
      assertEquals(BatchStatistics.EXACT_SUMS, actual.algorithm());
      for (int c = 0; c < shape.channels(); c++) {
        assertEquals(Double.doubleToRawLongBits(expected.mean()[c]), Double.doubleToRawLongBits(actual.mean()[c]));
        assertEquals(Double.doubleToRawLongBits(expected.meanResidual()[c]),
            Double.doubleToRawLongBits(actual.meanResidual()[c]));
        assertEquals(Double.doubleToRawLongBits(expected.variance()[c]),
            Double.doubleToRawLongBits(actual.variance()[c]));
        assertEquals(Double.doubleToRawLongBits(expected.unbiasedVariance()[c]),
            Double.doubleToRawLongBits(actual.unbiasedVariance()[c]));
      }
    }
    assertEquals(64, data.repartition(64).rdd().getNumPartitions());
    data.unpersist();
  }

  private static Dataset<Row> withInvalidRows() {
    StructType schema = new StructType().add("id", DataTypes.StringType)
        .add("features", DataTypes.createArrayType(DataTypes.DoubleType, true));
    List<Row> rows = List.of(
        RowFactory.create("ok0", new Double[] {1.0, 2.0, 4.0}),
        RowFactory.create("null", null),
        RowFactory.create("short", new Double[] {1.0, 2.0}),
        RowFactory.create("nan", new Double[] {1.0, Double.NaN, 2.0}),
        RowFactory.create("inf", new Double[] {1.0, 2.0, Double.NEGATIVE_INFINITY}),
        RowFactory.create("hole", new Double[] {1.0, null, 2.0}),
        RowFactory.create("ok1", new Double[] {3.0, 0.0, 8.0}));
    return spark.createDataFrame(rows, schema).coalesce(1);
  }

  @Test
  void skipDropsInvalidRowsAndTheyNeverFeedTheStatistics() {
    NormalizationResult result = TensorNormalization.normalize(withInvalidRows(),
        new NormalizeSpec(NormMethod.BATCH).shape(Shape.of(3)).handleInvalid(HandleInvalid.SKIP));
    List<Row> out = result.countedFrame().collectAsList();
    assertEquals(2, out.size());
    assertEquals(7, result.counts().rowsIn());
    assertEquals(5, result.counts().rowsSkipped());
    assertEquals(2, result.frame().count(), "the plain frame drops the same rows");
    BatchStatistics good = new ExactMoments(Shape.of(3)).update(new double[] {1, 2, 4})
        .update(new double[] {3, 0, 8}).statistics();
    assertArrayEquals(good.mean(), result.statistics().mean(), 0.0);
    assertArrayEquals(good.variance(), result.statistics().variance(), 0.0);
    assertEquals(2, result.statistics().count());
  }

  @Test
  void keepKeepsInvalidRowsWithANullResult() {
    NormalizationResult result = TensorNormalization.normalize(withInvalidRows(),
        new NormalizeSpec(NormMethod.LAYER).shape(Shape.of(3)).handleInvalid(HandleInvalid.KEEP).outputCol("y"));
    Map<String, Row> byId = new TreeMap<>();
    result.countedFrame().collectAsList().forEach(r -> byId.put(r.getString(0), r));
    assertEquals(7, byId.size());
    for (String bad : List.of("null", "short", "nan", "inf", "hole")) {
      assertNull(byId.get(bad).get(2), bad);
      assertTrue(byId.get(bad).get(1) != null || bad.equals("null"), "the input column stays: " + bad);
    }
    assertArrayEquals(Normalizers.layer(Shape.of(3), 1e-5, Affine.none()).apply(new double[] {3, 0, 8}),
        tensorOf(byId.get("ok1"), 2), 0.0);
    assertEquals(5, result.counts().rowsKeptInvalid());
    assertEquals(0, result.counts().rowsSkipped());
    assertEquals(7, result.counts().rowsIn());
  }

  @Test
  void errorNamesTheColumnTheRowAndTheRule() {
    Dataset<Row> input = withInvalidRows();
    Exception failure = assertThrows(Exception.class, () -> TensorNormalization.normalize(input,
        new NormalizeSpec(NormMethod.INSTANCE).shape(Shape.of(1, 3))).frame().collectAsList());
    assertEquals("column 'features', row 1: the tensor is null", TensorNormalization.describeFailure(failure, input));

    Dataset<Row> fromShort = input.filter("id <> 'null'");
    Exception lengthFailure = assertThrows(Exception.class, () -> TensorNormalization.normalize(fromShort,
        new NormalizeSpec(NormMethod.BATCH).shape(Shape.of(3)).idCol("id")));
    assertEquals("column 'features', row with id short: tensor of length 2 does not match shape (3,) (3 elements)",
        TensorNormalization.describeFailure(lengthFailure, fromShort));

    Dataset<Row> fromNan = input.filter("id in ('ok0', 'nan', 'inf')");
    Exception nanFailure = assertThrows(Exception.class, () -> TensorNormalization.normalize(fromNan,
        new NormalizeSpec(NormMethod.LAYER).shape(Shape.of(3))).frame().collectAsList());
    assertEquals("column 'features', row 1: value NaN at index 1 is not finite",
        TensorNormalization.describeFailure(nanFailure, fromNan));

    Dataset<Row> fromHole = input.filter("id = 'hole'");
    Exception holeFailure = assertThrows(Exception.class, () -> TensorNormalization.normalize(fromHole,
        new NormalizeSpec(NormMethod.LAYER).shape(Shape.of(3))).frame().collectAsList());
    assertEquals("column 'features', row 0: null value at index 1",
        TensorNormalization.describeFailure(holeFailure, fromHole));
  }

  @Test
  void errorRowPositionsCountEarlierPartitions() {
    Dataset<Row> data = largeOffsetFrame(200, 1).withColumn("features",
        functions.when(functions.col("row").equalTo(150), functions.lit(null)).otherwise(functions.col("features")))
        .repartition(4).sortWithinPartitions("row");
    List<Row> order = data.collectAsList();
    int position = -1;
    for (int i = 0; i < order.size(); i++) {
      if (order.get(i).getInt(0) == 150) {
        position = i;
      }
    }
    Exception failure = assertThrows(Exception.class,
        () -> TensorNormalization.normalize(data, new NormalizeSpec(NormMethod.LAYER).shape(Shape.of(12)))
            .frame().collectAsList());
    assertEquals("column 'features', row " + position + ": the tensor is null",
        TensorNormalization.describeFailure(failure, data));
  }

  @Test
  void specErrorsAreCaughtBeforeAnyData() {
    Dataset<Row> input = frame(DataTypes.createArrayType(DataTypes.DoubleType), v -> typedArray(v, DataTypes.DoubleType));
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> TensorNormalization.normalize(input, new NormalizeSpec(NormMethod.LAYER).inputCol("pixels")));
    assertEquals("column 'pixels' is not in the input; its columns are [id, features, extra]", missing.getMessage());
    IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
        () -> TensorNormalization.normalize(input, new NormalizeSpec(NormMethod.LAYER).inputCol("extra")));
    assertTrue(type.getMessage().startsWith("column 'extra' is of type double; the tensor column must be an array"),
        type.getMessage());
    IllegalArgumentException taken = assertThrows(IllegalArgumentException.class,
        () -> TensorNormalization.normalize(input, new NormalizeSpec(NormMethod.LAYER).outputCol("id")));
    assertTrue(taken.getMessage().startsWith("output-col 'id' names a column that already exists"), taken.getMessage());
    IllegalArgumentException defaultTaken = assertThrows(IllegalArgumentException.class,
        () -> TensorNormalization.normalize(input, new NormalizeSpec(NormMethod.LAYER).inputCols(List.of("extra"))));
    assertEquals("output-col 'features' names a column that already exists in the input; choose a new name with"
        + " --output-col", defaultTaken.getMessage());
    IllegalArgumentException groups = assertThrows(IllegalArgumentException.class,
        () -> TensorNormalization.normalize(input, new NormalizeSpec(NormMethod.GROUP).shape(Shape.of(6)).groups(4)));
    assertEquals("column 'features': groups 4 does not divide the channel count C = 6 of shape (6,)",
        groups.getMessage());
    IllegalArgumentException instance = assertThrows(IllegalArgumentException.class,
        () -> TensorNormalization.normalize(input, new NormalizeSpec(NormMethod.INSTANCE).shape(Shape.of(6))));
    assertTrue(instance.getMessage().startsWith("column 'features': instance norm needs more than 1 spatial element"),
        instance.getMessage());
    IllegalArgumentException scalars = assertThrows(IllegalArgumentException.class,
        () -> TensorNormalization.normalize(input, new NormalizeSpec(NormMethod.LAYER).inputCols(List.of("extra", "id"))));
    assertEquals("column 'id' is of type string; every column of --input-cols must be numeric", scalars.getMessage());
  }

  @Test
  void stringColumnsHoldJsonArrayText() {
    StructType schema = new StructType().add("id", DataTypes.IntegerType).add("features", DataTypes.StringType);
    List<Row> rows = List.of(RowFactory.create(0, "[1, 2.5, -3]"), RowFactory.create(1, " [4,5e-1,6] "),
        RowFactory.create(2, "one, two, three"));
    Dataset<Row> input = spark.createDataFrame(rows, schema).coalesce(1);
    NormalizationResult kept = TensorNormalization.normalize(input,
        new NormalizeSpec(NormMethod.LAYER).shape(Shape.of(3)).handleInvalid(HandleInvalid.KEEP));
    List<Row> out = new ArrayList<>(kept.frame().collectAsList());
    out.sort(java.util.Comparator.comparingInt(r -> r.getInt(0)));
    Normalizer layer = Normalizers.layer(Shape.of(3), 1e-5, Affine.none());
    assertArrayEquals(layer.apply(new double[] {1, 2.5, -3}), tensorOf(out.get(0), 1), 0.0);
    assertArrayEquals(layer.apply(new double[] {4, 0.5, 6}), tensorOf(out.get(1), 1), 0.0);
    assertNull(out.get(2).get(1));

    Exception failure = assertThrows(Exception.class, () -> TensorNormalization.normalize(input,
        new NormalizeSpec(NormMethod.LAYER).shape(Shape.of(3))).frame().collectAsList());
    assertEquals("column 'features', row 2: value 'one, two, three' is not a JSON array of numbers",
        TensorNormalization.describeFailure(failure, input));
  }

  @Test
  void givenStatisticsAreUsedAsTheyAre() {
    Dataset<Row> input = frame(DataTypes.createArrayType(DataTypes.DoubleType), v -> typedArray(v, DataTypes.DoubleType));
    Shape shape = Shape.of(2, 3);
    BatchStatistics given = new BatchStatistics(Shape.of(2), 0, new double[] {1, 2}, new double[] {4, 9},
        new double[] {Double.NaN, Double.NaN});
    List<Row> out = TensorNormalization.normalize(input, new NormalizeSpec(NormMethod.BATCH).shape(shape)
        .statistics(given)).frame().orderBy("id").collectAsList();
    Normalizer reference = Normalizers.batch(shape, new double[] {1, 2}, new double[] {4, 9}, 1e-5, Affine.none());
    for (int i = 0; i < SAMPLES.length; i++) {
      assertArrayEquals(reference.apply(SAMPLES[i]), tensorOf(out.get(i), 1), 0.0);
    }
  }

  static List<GoldenFiles.Case> goldenCases() {
    return GoldenFiles.cases();
  }

  /** Every golden case through the Spark layer, the batch cases with a distributed fit over 3 partitions. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("goldenCases")
  void goldenCasesThroughTheSparkLayer(GoldenFiles.Case c) {
    DataType element = c.isDouble() ? DataTypes.DoubleType : DataTypes.FloatType;
    StructType schema = new StructType().add("row", DataTypes.IntegerType)
        .add("features", DataTypes.createArrayType(element));
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < c.input().length; i++) {
      rows.add(RowFactory.create(i, typedArray(c.input()[i], element)));
    }
    Collections.shuffle(rows, new Random(c.name().hashCode()));
    Dataset<Row> input = spark.createDataFrame(rows, schema).repartition(3);
    NormalizeSpec spec = new NormalizeSpec(c.method()).shape(c.shape()).eps(c.eps()).affine(c.affine())
        .groups(c.groups());
    List<Row> out = TensorNormalization.normalize(input, spec).frame().orderBy("row").collectAsList();
    assertEquals(c.input().length, out.size());
    for (int s = 0; s < out.size(); s++) {
      double[] actual = tensorOf(out.get(s), 1);
      for (int i = 0; i < actual.length; i++) {
        double reference = c.exactOutput() != null ? c.exactOutput()[s][i] : c.output()[s][i];
        assertEquals(reference, actual[i], c.tolerance() * Math.max(1, Math.abs(reference)),
            c.name() + " sample " + s + " element " + i);
      }
    }
  }

  @Test
  void oneValuePerChannelIsRefusedNamingTheColumn() {
    Dataset<Row> one = frame(DataTypes.createArrayType(DataTypes.DoubleType), v -> typedArray(v, DataTypes.DoubleType))
        .limit(1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TensorNormalization.normalize(one, new NormalizeSpec(NormMethod.BATCH).shape(Shape.of(6))));
    assertEquals("column 'features': batch norm needs more than 1 value per channel, got 1 (samples x spatial size)"
        + " for shape (6,)", e.getMessage());
  }
}
