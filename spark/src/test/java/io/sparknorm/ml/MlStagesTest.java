package io.sparknorm.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.core.GoldenFiles;
import io.sparknorm.core.NormMethod;
import io.sparknorm.spark.LocalSpark;
import io.sparknorm.sql.GoldenFrames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.Transformer;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The Spark ML stages: goldens through each, persistence, schema checks before data, handleInvalid. */
@ExtendWith(LocalSpark.class)
class MlStagesTest {
  private static SparkSession spark;
  /** The job group of every Spark job started, in order (null: no group). */
  private static final List<String> JOB_GROUPS = java.util.Collections.synchronizedList(new ArrayList<>());

  @TempDir
  Path dir;

  @BeforeAll
  static void prepareData() {
    spark.sparkContext().addSparkListener(new SparkListener() {
      @Override
      public void onJobStart(SparkListenerJobStart jobStart) {
        JOB_GROUPS.add(jobStart.properties() == null ? null : jobStart.properties().getProperty("spark.jobGroup.id"));
      }
    });
  }

  static List<GoldenFiles.Case> goldenCases() {
    return GoldenFiles.cases();
  }

  /** The stage of the case's method, with the case's params; batch norm is fitted on the case's rows. */
  private static Transformer stageFor(GoldenFiles.Case c, Dataset<Row> data) {
    String shape = String.join(",", Arrays.stream(c.shape().dims()).mapToObj(Integer::toString).toList());
    TensorNormParams<?> stage = switch (c.method()) {
      case BATCH -> new TensorBatchNorm();
      case LAYER -> new TensorLayerNorm();
      case INSTANCE -> new TensorInstanceNorm();
      case GROUP -> new TensorGroupNorm().setGroups(c.groups());
    };
    stage.setInputCol("features").setOutputCol("normalized").setShape(shape).setEps(c.eps());
    if (c.weight() != null) {
      stage.setWeight(c.weight());
    }
    if (c.bias() != null) {
      stage.setBias(c.bias());
    }
    return stage instanceof TensorBatchNorm batch ? batch.fit(data) : (Transformer) stage;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("goldenCases")
  void everyGoldenCaseThroughItsStage(GoldenFiles.Case c) {
    Dataset<Row> data = GoldenFrames.frame(spark, c);
    Transformer stage = stageFor(c, data);
    List<Row> out = stage.transform(data).select("row", "normalized").orderBy("row").collectAsList();
    GoldenFrames.assertOutputs(c, out, 1, stage.getClass().getSimpleName());
    if (stage instanceof TensorBatchNormModel model) {
      assertEquals(c.count(), model.count(), "count");
      GoldenFrames.assertStatistic(c.mean(), c.exactMean(), boxed(model.mean()), "mean");
      GoldenFrames.assertStatistic(c.variance(), c.exactVariance(), boxed(model.variance()), "var");
      GoldenFrames.assertStatistic(c.unbiasedVariance(), c.exactUnbiasedVariance(), boxed(model.unbiasedVariance()),
          "var_unbiased");
    }
  }

  /** Each stage saved and loaded: the same params, the same numbers to the last bit. */
  @ParameterizedTest
  @EnumSource(NormMethod.class)
  void everyStageSavesAndLoads(NormMethod method) throws IOException {
    GoldenFiles.Case c = GoldenFiles.cases().stream()
        .filter(k -> k.method() == method && k.weight() != null && k.bias() != null).findFirst().orElseThrow();
    Dataset<Row> data = GoldenFrames.frame(spark, c);
    Transformer stage = stageFor(c, data);
    ((TensorNormParams<?>) stage).setHandleInvalid("keep");
    String path = dir.resolve("stage").toString();
    ((org.apache.spark.ml.util.MLWritable) stage).write().save(path);

    Transformer loaded = switch (method) {
      case BATCH -> TensorBatchNormModel.load(path);
      case LAYER -> TensorLayerNorm.load(path);
      case INSTANCE -> TensorInstanceNorm.load(path);
      case GROUP -> TensorGroupNorm.load(path);
    };
    assertEquals(stage.getClass(), loaded.getClass());
    assertEquals(stage.uid(), loaded.uid());
    assertSameParams(stage, loaded);
    assertEquals(stage.transform(data).orderBy("row").collectAsList(), loaded.transform(data).orderBy("row")
        .collectAsList());
    if (stage instanceof TensorBatchNormModel model) {
      TensorBatchNormModel back = (TensorBatchNormModel) loaded;
      assertArrayEquals(model.mean(), back.mean(), 0.0);
      assertArrayEquals(model.variance(), back.variance(), 0.0);
      assertArrayEquals(model.unbiasedVariance(), back.unbiasedVariance(), 0.0);
      assertArrayEquals(model.statistics().meanResidual(), back.statistics().meanResidual(), 0.0);
      assertEquals(model.count(), back.count());
      assertEquals(model.statistics().shape(), back.statistics().shape());
      assertTrue(Files.isDirectory(dir.resolve("stage/metadata")) && Files.isDirectory(dir.resolve("stage/data")),
          "metadata and data folders, like Spark ML's models");
    }
  }

  /** The estimator itself persists too (a Pipeline saves its unfitted stages). */
  @Test
  void theEstimatorSavesAndLoads() throws IOException {
    TensorBatchNorm bn = new TensorBatchNorm().setInputCol("x").setOutputCol("y").setShape("3,4").setEps(1e-3)
        .setWeight(new double[] {1, 2, 3}).setHandleInvalid("skip");
    String path = dir.resolve("estimator").toString();
    bn.write().save(path);
    TensorBatchNorm back = TensorBatchNorm.load(path);
    assertSameParams(bn, back);
    assertArrayEquals(new int[] {3, 4}, back.getShape());
    assertEquals(1e-3, back.getEps());
  }

  /** The job's statistics file both ways, and a PyTorch model's running statistics as a model (evaluation mode). */
  @Test
  void statisticsFilesBothWaysAndPyTorchRunningStatistics() throws IOException {
    GoldenFiles.Case c = GoldenFiles.cases().stream().filter(k -> k.method() == NormMethod.BATCH && k.isDouble())
        .findFirst().orElseThrow();
    Dataset<Row> data = GoldenFrames.frame(spark, c);
    TensorBatchNormModel model = (TensorBatchNormModel) stageFor(c, data);
    model.setEps(1e-3);
    String file = dir.resolve("stats.json").toString();
    model.writeStatisticsFile(file);
    TensorBatchNormModel back = TensorBatchNormModel.fromStatisticsFile(file);
    assertArrayEquals(model.mean(), back.mean(), 0.0);
    assertArrayEquals(model.variance(), back.variance(), 0.0);
    assertArrayEquals(model.unbiasedVariance(), back.unbiasedVariance(), 0.0);
    assertEquals(model.count(), back.count());
    assertEquals(1e-3, back.getEps());

    for (GoldenFiles.Running r : GoldenFiles.running()) {
      int last = r.batches().size() - 1;
      Path running = dir.resolve(r.name() + ".json");
      Files.writeString(running, "{\"mean\": " + Arrays.toString(r.runningMean().get(last)) + ", \"var\": "
          + Arrays.toString(r.runningVar().get(last)) + "}");
      TensorBatchNormModel eval = TensorBatchNormModel.fromStatisticsFile(running.toString()).setInputCol("features")
          .setOutputCol("normalized").setEps(r.eps());
      if (r.weight() != null) {
        eval.setWeight(r.weight());
      }
      if (r.bias() != null) {
        eval.setBias(r.bias());
      }
      eval.setShape(String.join(",", Arrays.stream(r.shape().dims()).mapToObj(Integer::toString).toList()));
      List<Row> out = eval.transform(runningFrame(r.batches().get(last), r.isDouble())).orderBy("row")
          .collectAsList();
      for (int i = 0; i < out.size(); i++) {
        List<Object> got = out.get(i).getList(out.get(i).fieldIndex("normalized"));
        for (int j = 0; j < got.size(); j++) {
          double expected = r.evalOutput()[i][j];
          double tolerance = r.isDouble() ? 1e-9 * Math.max(1, Math.abs(expected)) : 1e-5;
          assertEquals(expected, ((Number) got.get(j)).doubleValue(), tolerance, r.name() + " row " + i + " [" + j + "]");
        }
      }
    }
  }

  private Dataset<Row> runningFrame(double[][] batch, boolean isDouble) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < batch.length; i++) {
      Object[] values = new Object[batch[i].length];
      for (int j = 0; j < values.length; j++) {
        values[j] = isDouble ? (Object) batch[i][j] : (Object) (float) batch[i][j];
      }
      rows.add(RowFactory.create(i, values));
    }
    return spark.createDataFrame(rows, new StructType().add("row", DataTypes.IntegerType)
        .add("features", DataTypes.createArrayType(isDouble ? DataTypes.DoubleType : DataTypes.FloatType)));
  }

  /** inputCols: scalar columns assembled into the tensor, in order; the same numbers as the array column. */
  @Test
  void inputColsAssembleScalarColumns() {
    Dataset<Row> arrays = validOnly();
    Dataset<Row> scalars = arrays.selectExpr("id", "features[0] AS a", "features[1] AS b", "features[2] AS c",
        "features[3] AS d");
    String[] columns = {"a", "b", "c", "d"};
    List<Row> fromScalars = new TensorLayerNorm().setInputCols(columns).setOutputCol("ln").setShape("2,2")
        .transform(scalars).select("id", "ln").orderBy("id").collectAsList();
    List<Row> fromArray = new TensorLayerNorm().setInputCol("features").setOutputCol("ln").setShape("2,2")
        .transform(arrays).select("id", "ln").orderBy("id").collectAsList();
    assertEquals(4, fromScalars.size());
    assertEquals(fromArray, fromScalars);
    TensorBatchNormModel scalarFit = new TensorBatchNorm().setInputCols(columns).setShape("2,2").fit(scalars);
    TensorBatchNormModel arrayFit = new TensorBatchNorm().setInputCol("features").setShape("2,2").fit(arrays);
    assertArrayEquals(arrayFit.mean(), scalarFit.mean(), 0.0);
    assertArrayEquals(arrayFit.variance(), scalarFit.variance(), 0.0);
    assertEquals(8, scalarFit.count(), "4 rows x spatial size 2");
  }

  // ---------------------------------------------------------------------------------------------
  // Schema checks: everything a schema can show fails before any Spark job.

  private static final StructType SCHEMA = new StructType().add("id", DataTypes.IntegerType)
      .add("features", DataTypes.createArrayType(DataTypes.DoubleType))
      .add("words", DataTypes.createArrayType(DataTypes.StringType))
      .add("a", DataTypes.DoubleType).add("b", DataTypes.DoubleType);

  private static String schemaError(PipelineStage stage) {
    return assertThrows(IllegalArgumentException.class, () -> stage.transformSchema(SCHEMA)).getMessage();
  }

  @Test
  void schemaErrorsNameTheRule() {
    assertEquals("column 'pixels' is not in the input; its columns are [id, features, words, a, b]",
        schemaError(new TensorLayerNorm().setInputCol("pixels")));
    assertTrue(schemaError(new TensorLayerNorm().setInputCol("words")).startsWith("column 'words' is of type"
        + " array<string>"), schemaError(new TensorLayerNorm().setInputCol("words")));
    assertEquals("Output column a already exists.",
        schemaError(new TensorLayerNorm().setInputCol("features").setOutputCol("a")));
    assertTrue(schemaError(new TensorLayerNorm()).contains("set exactly one of inputCol (a tensor column) and"
        + " inputCols (scalar columns)"));
    assertTrue(schemaError(new TensorLayerNorm().setInputCol("features").setInputCols(new String[] {"a", "b"}))
        .endsWith(", not both"));
    assertTrue(schemaError(new TensorGroupNorm().setInputCol("features")).endsWith(": set groups (the number of"
        + " channel groups)"));
    assertEquals("column 'features': groups 4 does not divide the channel count C = 6 of shape (6,2)",
        schemaError(new TensorGroupNorm().setInputCol("features").setShape("6,2").setGroups(4)));
    assertEquals("column 'features': instance norm needs more than 1 spatial element per channel, got shape (6,)"
        + " (spatial size 1); give the spatial dimensions in the shape",
        schemaError(new TensorInstanceNorm().setInputCol("features").setShape("6")));
    assertEquals("column 'features': affine weight has 5 values, expected 6: one per element (6) for layer norm of"
        + " shape (2,3)",
        schemaError(new TensorLayerNorm().setInputCol("features").setShape("2,3").setWeight(new double[5])));
    assertEquals("column 'features': the statistics have 2 channels but the data's shape (3,) has 3",
        schemaError(TensorBatchNormModel.of(new double[] {0, 0}, new double[] {1, 1}).setInputCol("features")
            .setShape("3")));
    TensorGroupNorm good = new TensorGroupNorm().setInputCol("features").setOutputCol("gn").setShape("2,3")
        .setGroups(2);
    StructType out = good.transformSchema(SCHEMA);
    assertEquals(DataTypes.createArrayType(DataTypes.DoubleType, false), out.apply("gn").dataType());
    assertEquals(SCHEMA.size() + 1, out.size());
    assertEquals(good.transform(spark.createDataFrame(List.of(), SCHEMA)).schema(), out,
        "transformSchema says what transform gives");
    assertThrows(IllegalArgumentException.class, () -> new TensorLayerNorm().setShape(new int[] {3, 0}),
        "a size of 0 is refused by the param's validator");
    assertThrows(IllegalArgumentException.class, () -> new TensorLayerNorm().setHandleInvalid("drop"));
    assertThrows(IllegalArgumentException.class, () -> new TensorLayerNorm().setEps(-1));
  }

  @Test
  void fitAndTransformRefuseABadSchemaBeforeAnySparkJob() throws TimeoutException {
    Dataset<Row> data = sample();
    spark.sparkContext().setJobGroup("schema-checks", "fit and transform with bad params", false);
    try {
      IllegalArgumentException fit = assertThrows(IllegalArgumentException.class,
          () -> new TensorBatchNorm().setInputCol("features").setShape("2,2").setWeight(new double[3]).fit(data));
      assertEquals("column 'features': affine weight has 3 values, expected 2: one per channel (C = 2) for batch norm"
          + " of shape (2,2)", fit.getMessage());
      IllegalArgumentException transform = assertThrows(IllegalArgumentException.class,
          () -> new TensorGroupNorm().setInputCol("features").setShape("4").setGroups(3).transform(data));
      assertEquals("column 'features': groups 3 does not divide the channel count C = 4 of shape (4,)",
          transform.getMessage());
      // A marker job after them: once the listener has seen it, it has seen any job started before it.
      spark.sparkContext().setJobGroup("marker", "marker", false);
      spark.range(1).count();
    } finally {
      spark.sparkContext().clearJobGroup();
    }
    spark.sparkContext().listenerBus().waitUntilEmpty();
    assertTrue(JOB_GROUPS.contains("marker"), "the marker job was not seen");
    assertTrue(!JOB_GROUPS.contains("schema-checks"), "Spark jobs ran before the schema errors: " + JOB_GROUPS);
  }

  // ---------------------------------------------------------------------------------------------
  // handleInvalid: error, skip, keep.

  private static final double[][] VALID = {{1, 2, 3, 4}, {2, 4, 8, 16}, {-1, 0, 1, 0}, {5, 5, 6, 6}};

  /** Rows 0-3 valid; 4: NaN; 5: null tensor; 6: wrong length. */
  private Dataset<Row> sample() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < VALID.length; i++) {
      rows.add(RowFactory.create(i, Arrays.stream(VALID[i]).boxed().toArray()));
    }
    rows.add(RowFactory.create(4, new Object[] {1.0, Double.NaN, 3.0, 4.0}));
    rows.add(RowFactory.create(5, null));
    rows.add(RowFactory.create(6, new Object[] {1.0, 2.0, 3.0}));
    return spark.createDataFrame(rows, new StructType().add("id", DataTypes.IntegerType)
        .add("features", DataTypes.createArrayType(DataTypes.DoubleType))).repartition(2);
  }

  private Dataset<Row> validOnly() {
    return sample().filter("id < 4");
  }

  @Test
  void handleInvalidErrorFailsNamingTheRule() {
    Exception fit = assertThrows(Exception.class, () -> new TensorBatchNorm().setInputCol("features")
        .setShape("2,2").fit(sample().filter("id <> 5 AND id <> 6")));
    assertTrue(rootMessage(fit).contains("batch_norm_stats: tensor argument features: value NaN at index 1 is not"
        + " finite"), rootMessage(fit));
    Exception transform = assertThrows(Exception.class, () -> new TensorLayerNorm().setInputCol("features")
        .setShape("2,2").transform(sample().filter("id = 6")).collectAsList());
    assertTrue(rootMessage(transform).contains("layer_norm: tensor argument features: tensor of length 3 does not"
        + " match shape (2,2) (4 elements)"), rootMessage(transform));
  }

  @Test
  void handleInvalidSkipDropsTheRowsAndKeepsThemOutOfTheStatistics() {
    TensorBatchNormModel skip = new TensorBatchNorm().setInputCol("features").setShape("2,2")
        .setHandleInvalid("skip").fit(sample());
    TensorBatchNormModel reference = new TensorBatchNorm().setInputCol("features").setShape("2,2").fit(validOnly());
    assertEquals(reference.count(), skip.count());
    assertArrayEquals(reference.mean(), skip.mean(), 0.0);
    assertArrayEquals(reference.variance(), skip.variance(), 0.0);
    List<Row> out = skip.transform(sample()).orderBy("id").collectAsList();
    assertEquals(List.of(0, 1, 2, 3), out.stream().map(r -> r.getInt(0)).toList());
    assertEquals(reference.transform(validOnly()).orderBy("id").collectAsList(), out);
    List<Row> layer = new TensorLayerNorm().setInputCol("features").setShape("2,2").setHandleInvalid("skip")
        .transform(sample()).collectAsList();
    assertEquals(4, layer.size());
  }

  @Test
  void handleInvalidKeepGivesNullResultsAndKeepsThemOutOfTheStatistics() {
    TensorBatchNormModel keep = new TensorBatchNorm().setInputCol("features").setOutputCol("bn").setShape("2,2")
        .setHandleInvalid("keep").fit(sample());
    TensorBatchNormModel reference = new TensorBatchNorm().setInputCol("features").setShape("2,2").fit(validOnly());
    assertArrayEquals(reference.mean(), keep.mean(), 0.0);
    assertArrayEquals(reference.variance(), keep.variance(), 0.0);
    List<Row> out = keep.transform(sample()).orderBy("id").collectAsList();
    assertEquals(7, out.size());
    for (Row row : out) {
      int id = row.getInt(0);
      if (id >= 4) {
        assertNull(row.get(row.fieldIndex("bn")), "row " + id);
      } else {
        assertEquals(4, row.getList(row.fieldIndex("bn")).size(), "row " + id);
      }
    }
  }

  /** Every param: set or not, and the same value (arrays by content). */
  private static void assertSameParams(org.apache.spark.ml.param.Params expected,
      org.apache.spark.ml.param.Params actual) {
    assertEquals(expected.params().length, actual.params().length);
    for (org.apache.spark.ml.param.Param<?> param : expected.params()) {
      org.apache.spark.ml.param.Param<?> other = actual.getParam(param.name());
      assertEquals(expected.isSet(param), actual.isSet(other), param.name() + " set");
      assertEquals(expected.isDefined(param), actual.isDefined(other), param.name() + " defined");
      if (expected.isDefined(param)) {
        assertTrue(java.util.Objects.deepEquals(expected.getOrDefault(param), actual.getOrDefault(other)),
            param.name() + ": " + expected.getOrDefault(param) + " vs " + actual.getOrDefault(other));
      }
    }
  }

  private static String rootMessage(Throwable t) {
    StringBuilder all = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      all.append(c.getMessage()).append(" | ");
    }
    return all.toString();
  }

  private static List<Double> boxed(double[] values) {
    return Arrays.stream(values).boxed().toList();
  }
}
