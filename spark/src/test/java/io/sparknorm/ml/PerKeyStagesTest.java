package io.sparknorm.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.GoldenFiles;
import io.sparknorm.spark.KeyedStatistics;
import io.sparknorm.spark.LocalSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batch norm per key through the Spark ML stages ({@code groupCols}, {@code unseenKey}): each key's
 * statistics and outputs are the same bits as a stage without keys fitted on that key's rows alone;
 * the model saves and loads, writes and reads the statistics file, and refuses bad key columns from
 * the schema.
 */
@ExtendWith(LocalSpark.class)
class PerKeyStagesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String COLUMNS = "alcohol,malic_acid,ash,alcalinity_of_ash,magnesium,total_phenols,flavanoids,"
      + "nonflavanoid_phenols,proanthocyanins,color_intensity,hue,od280_od315,proline";

  private static SparkSession spark;
  /** The wine table: rows shuffled, several partitions, a string key (site) and a nullable integer key (lot). */
  private static Dataset<Row> wine;

  @TempDir
  static Path shared;

  @TempDir
  Path dir;

  @BeforeAll
  static void prepareData() {
    String folder = shared.resolve("wine.parquet").toString();
    spark.read().option("header", "true").option("inferSchema", "true")
        .csv(GoldenFiles.dataDir().resolve("wine.csv").toString())
        .withColumn("site", functions.expr("CASE WHEN id % 3 = 0 THEN 'north' ELSE 'south' END"))
        .withColumn("lot", functions.expr("CASE WHEN id % 7 = 0 THEN NULL ELSE CAST(id % 2 AS INT) END"))
        .withColumn("raw", functions.expr("array(" + COLUMNS + ")"))
        .orderBy(functions.rand(7)).repartition(3).write().parquet(folder);
    wine = spark.read().parquet(folder);
  }

  private static TensorBatchNorm perKey() {
    return new TensorBatchNorm().setInputCol("raw").setOutputCol("bn").setGroupCols("site", "lot");
  }

  /** The rows of one key, nulls matching nulls. */
  private static Dataset<Row> rowsOf(Dataset<Row> frame, KeyedStatistics keyed, List<Object> key) {
    Column match = functions.lit(true);
    for (int i = 0; i < key.size(); i++) {
      match = match.and(functions.col(keyed.keyColumns().get(i)).eqNullSafe(functions.lit(key.get(i))));
    }
    return frame.filter(match);
  }

  @Test
  void eachKeysStatisticsAndOutputsAreThoseOfItsRowsAlone() {
    assertTrue(wine.rdd().getNumPartitions() > 1, "partitions: " + wine.rdd().getNumPartitions());
    TensorBatchNormModel model = perKey().fit(wine);
    KeyedStatistics keyed = model.keyedStatistics();
    assertEquals(List.of("site", "lot"), keyed.keyColumns());
    assertArrayEquals(new String[] {"site", "lot"}, model.getGroupCols());
    // (north|south) x (null, 0, 1), sorted with nulls first.
    assertEquals(6, keyed.entries().size());
    assertEquals(Arrays.asList("north", null), keyed.entries().get(0).key());
    assertEquals(List.of("south", 1L), keyed.entries().get(5).key());

    // The statistics over all rows: those of a fit without keys, bit for bit.
    TensorBatchNormModel global = new TensorBatchNorm().setInputCol("raw").setOutputCol("bn").fit(wine);
    assertSameStatistics(global.statistics(), model.statistics(), "global");
    assertSameStatistics(global.statistics(), keyed.global(), "global");

    Map<Integer, List<Double>> outputs = outputsById(model.transform(wine));
    assertEquals(178, outputs.size());
    long values = 0;
    int rows = 0;
    for (KeyedStatistics.Entry entry : keyed.entries()) {
      Dataset<Row> alone = rowsOf(wine, keyed, entry.key());
      TensorBatchNormModel aloneModel = new TensorBatchNorm().setInputCol("raw").setOutputCol("bn").fit(alone);
      assertSameStatistics(aloneModel.statistics(), entry.statistics(), keyed.describe(entry.key()));
      Map<Integer, List<Double>> aloneOutputs = outputsById(aloneModel.transform(alone));
      for (Map.Entry<Integer, List<Double>> row : aloneOutputs.entrySet()) {
        assertEquals(row.getValue(), outputs.get(row.getKey()), "row with id " + row.getKey());
      }
      rows += aloneOutputs.size();
      values += entry.statistics().count();
    }
    assertEquals(178, rows);
    assertEquals(178, values);
    assertEquals(model.transformSchema(wine.schema()), model.transform(wine).schema(),
        "transformSchema says what transform gives");
    assertEquals(perKey().transformSchema(wine.schema()), model.transformSchema(wine.schema()));
  }

  @Test
  void aModelWithStatisticsPerKeySavesAndLoads() throws IOException {
    TensorBatchNormModel model = perKey().setEps(1e-3).setUnseenKey("global").fit(wine);
    String path = dir.resolve("model").toString();
    model.write().save(path);
    for (String folder : List.of("metadata", "data", "keys")) {
      assertTrue(Files.isDirectory(dir.resolve("model").resolve(folder)), folder);
    }
    TensorBatchNormModel back = TensorBatchNormModel.load(path);
    assertEquals(model.uid(), back.uid());
    assertSameParams(model, back);
    assertEquals("global", back.getUnseenKey());
    assertSameKeyed(model.keyedStatistics(), back.keyedStatistics());
    assertSameStatistics(model.statistics(), back.statistics(), "global");
    assertEquals(outputsById(model.transform(wine)), outputsById(back.transform(wine)));

    // A model without keys keeps the old layout, and one saved before these params existed still loads.
    TensorBatchNormModel plain = new TensorBatchNorm().setInputCol("raw").setOutputCol("bn").fit(wine);
    String plainPath = dir.resolve("plain").toString();
    plain.write().save(plainPath);
    assertTrue(!Files.exists(dir.resolve("plain").resolve("keys")));
    Path metadata;
    try (Stream<Path> files = Files.list(dir.resolve("plain").resolve("metadata"))) {
      metadata = files.filter(f -> f.getFileName().toString().startsWith("part-")).findFirst().orElseThrow();
    }
    ObjectNode saved = (ObjectNode) JSON.readTree(metadata.toFile());
    ((ObjectNode) saved.get("defaultParamMap")).remove(List.of("groupCols", "unseenKey"));
    Files.writeString(metadata, JSON.writeValueAsString(saved) + "\n");
    Files.deleteIfExists(metadata.resolveSibling("." + metadata.getFileName() + ".crc"));
    TensorBatchNormModel old = TensorBatchNormModel.load(plainPath);
    assertNull(old.keyedStatistics());
    assertArrayEquals(new String[0], old.getGroupCols());
    assertEquals("error", old.getUnseenKey());
    assertSameStatistics(plain.statistics(), old.statistics(), "global");
    assertEquals(outputsById(plain.transform(wine)), outputsById(old.transform(wine)));
  }

  @Test
  void theStatisticsFileWithKeysBothWays() throws IOException {
    TensorBatchNormModel model = new TensorBatchNorm().setInputCol("raw").setOutputCol("bn").setGroupCols("cultivar")
        .setEps(1e-3).fit(wine);
    Path file = dir.resolve("stats.json");
    model.writeStatisticsFile(file.toString());
    JsonNode json = JSON.readTree(file.toFile());
    assertEquals("[\"cultivar\"]", json.get("by").toString());
    assertEquals(3, json.get("keys").size());
    assertEquals(2, json.get("keys").get(2).get("key").get("cultivar").asInt());

    TensorBatchNormModel back = TensorBatchNormModel.fromStatisticsFile(file.toString()).setInputCol("raw")
        .setOutputCol("bn");
    assertArrayEquals(new String[] {"cultivar"}, back.getGroupCols());
    assertEquals(1e-3, back.getEps());
    assertSameKeyed(model.keyedStatistics(), back.keyedStatistics());
    assertSameStatistics(model.statistics(), back.statistics(), "global");
    assertEquals(outputsById(model.transform(wine)), outputsById(back.transform(wine)));
  }

  @Test
  void aKeyWithoutStatisticsIsAnErrorOrGetsTheGlobalOnes() {
    TensorBatchNormModel model = new TensorBatchNorm().setInputCol("raw").setOutputCol("bn").setGroupCols("cultivar")
        .fit(wine.filter("cultivar < 2"));
    assertEquals(2, model.keyedStatistics().entries().size());
    List<Row> inOrder = wine.select("cultivar").collectAsList();
    int firstUnseen = 0;
    while (inOrder.get(firstUnseen).getInt(0) != 2) {
      firstUnseen++;
    }
    IllegalArgumentException unseen = assertThrows(IllegalArgumentException.class, () -> model.transform(wine));
    assertEquals("column 'cultivar', row " + firstUnseen + ": key cultivar=2 has no statistics (unseen-key global"
        + " normalizes such rows with the statistics over all rows)", unseen.getMessage());

    model.setUnseenKey("global");
    Map<Integer, List<Double>> outputs = outputsById(model.transform(wine));
    assertEquals(178, outputs.size());
    Dataset<Row> cultivar2 = wine.filter("cultivar = 2");
    Map<Integer, List<Double>> withGlobal = outputsById(TensorBatchNormModel.of(model.statistics())
        .setInputCol("raw").setOutputCol("bn").transform(cultivar2));
    assertEquals(48, withGlobal.size());
    withGlobal.forEach((id, row) -> assertEquals(row, outputs.get(id), "row with id " + id));
    Dataset<Row> cultivar0 = wine.filter("cultivar = 0");
    Map<Integer, List<Double>> alone = outputsById(new TensorBatchNorm().setInputCol("raw").setOutputCol("bn")
        .fit(cultivar0).transform(cultivar0));
    alone.forEach((id, row) -> assertEquals(row, outputs.get(id), "row with id " + id));
  }

  // ---------------------------------------------------------------------------------------------
  // Schema checks: the key columns fail transformSchema, with no data.

  private static final StructType SCHEMA = new StructType().add("id", DataTypes.IntegerType)
      .add("features", DataTypes.createArrayType(DataTypes.DoubleType))
      .add("site", DataTypes.StringType).add("score", DataTypes.DoubleType).add("flag", DataTypes.BooleanType);

  private static String schemaError(PipelineStage stage, StructType schema) {
    return assertThrows(IllegalArgumentException.class, () -> stage.transformSchema(schema)).getMessage();
  }

  private static TensorBatchNorm estimator(String... groupCols) {
    return new TensorBatchNorm().setInputCol("features").setOutputCol("bn").setGroupCols(groupCols);
  }

  @Test
  void keyColumnsAreCheckedFromTheSchema() {
    assertEquals("by: column 'vintage' is not in the input; its columns are [id, features, site, score, flag]",
        schemaError(estimator("vintage"), SCHEMA));
    assertEquals("by: column 'score' is of type double; a key column must be a string, an integer or a boolean",
        schemaError(estimator("score"), SCHEMA));
    assertEquals("by: column 'features' is the tensor; give the key columns",
        schemaError(estimator("features"), SCHEMA));
    assertEquals("by: column 'site' is given twice", schemaError(estimator("site", "SITE"), SCHEMA));
    StructType good = estimator("site", "flag").transformSchema(SCHEMA);
    assertEquals(SCHEMA.size() + 1, good.size());
    assertEquals(DataTypes.createArrayType(DataTypes.DoubleType, false), good.apply("bn").dataType());
    assertThrows(IllegalArgumentException.class, () -> new TensorBatchNorm().setGroupCols("site", " "));
    assertThrows(IllegalArgumentException.class, () -> new TensorBatchNorm().setUnseenKey("nearest"));

    // A model fitted by site (a string key): the schema must have it, as a string.
    KeyedStatistics bySite = new KeyedStatistics(List.of("site"), List.of(
        new KeyedStatistics.Entry(List.of("north"), unit()), new KeyedStatistics.Entry(List.of("south"), unit())),
        unit());
    TensorBatchNormModel model = TensorBatchNormModel.of(bySite).setInputCol("features").setOutputCol("bn");
    assertArrayEquals(new String[] {"site"}, model.getGroupCols());
    assertEquals(good.size(), model.transformSchema(SCHEMA).size());
    StructType noSite = new StructType().add("id", DataTypes.IntegerType)
        .add("features", DataTypes.createArrayType(DataTypes.DoubleType));
    assertEquals("by: column 'site' is not in the input; its columns are [id, features]",
        schemaError(model, noSite));
    StructType intSite = noSite.add("site", DataTypes.IntegerType);
    assertEquals("groupCols: column 'site' is of type int but the model's key site='north' is a string",
        schemaError(model, intSite));
    assertEquals("by: the statistics are by [site], not by [flag]",
        schemaError(model.copy(new org.apache.spark.ml.param.ParamMap()).setGroupCols("flag"), SCHEMA));
    TensorBatchNormModel cleared = model.copy(new org.apache.spark.ml.param.ParamMap()).setGroupCols();
    assertEquals("TensorBatchNormModel " + model.uid() + ": the statistics are per key of [site]; set groupCols to"
        + " those columns", schemaError(cleared, SCHEMA));

    // A model with one set of statistics does not take groupCols.
    TensorBatchNormModel plain = TensorBatchNormModel.of(unit()).setInputCol("features").setOutputCol("bn")
        .setGroupCols("site");
    assertEquals("TensorBatchNormModel " + plain.uid() + ": groupCols is [site] but the model has one set of"
        + " statistics for all rows (fitted without groupCols); clear groupCols, or fit with it",
        schemaError(plain, SCHEMA));

    // unseenKey global needs the statistics over all rows.
    TensorBatchNormModel noGlobal = TensorBatchNormModel.of(new KeyedStatistics(List.of("site"),
        bySite.entries(), null)).setInputCol("features").setOutputCol("bn").setUnseenKey("global");
    assertEquals("unseen-key global: the statistics have none over all rows", schemaError(noGlobal, SCHEMA));
  }

  /** The Pipeline user's path: the estimator with groupCols in a Pipeline, fitted, saved and loaded. */
  @Test
  void aPipelineWithKeysFitsSavesAndLoads() throws IOException {
    Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {perKey().setUnseenKey("global")});
    PipelineModel fitted = pipeline.fit(wine);
    String path = dir.resolve("pipeline").toString();
    fitted.write().save(path);
    PipelineModel back = PipelineModel.load(path);
    TensorBatchNormModel stage = (TensorBatchNormModel) back.stages()[0];
    assertSameKeyed(((TensorBatchNormModel) fitted.stages()[0]).keyedStatistics(), stage.keyedStatistics());
    assertEquals(outputsById(fitted.transform(wine)), outputsById(back.transform(wine)));
    assertEquals(outputsById(perKey().fit(wine).transform(wine)), outputsById(back.transform(wine)));
  }

  // ---------------------------------------------------------------------------------------------

  private static BatchStatistics unit() {
    return new BatchStatistics(io.sparknorm.core.Shape.of(2), 0, new double[] {0, 0}, new double[] {1, 1},
        new double[] {Double.NaN, Double.NaN});
  }

  private static Map<Integer, List<Double>> outputsById(Dataset<Row> frame) {
    Map<Integer, List<Double>> outputs = new HashMap<>();
    for (Row row : frame.select("id", "bn").collectAsList()) {
      outputs.put(row.getInt(0), row.getList(1));
    }
    return outputs;
  }

  /** Every statistic the same double, bit for bit (List<Double> equality compares the bits of each). */
  private static void assertSameStatistics(BatchStatistics expected, BatchStatistics actual, String what) {
    assertEquals(expected.count(), actual.count(), what + " count");
    assertEquals(expected.shape(), actual.shape(), what + " shape");
    assertEquals(expected.algorithm(), actual.algorithm(), what + " algorithm");
    assertEquals(bits(expected.mean()), bits(actual.mean()), what + " mean");
    assertEquals(bits(expected.variance()), bits(actual.variance()), what + " var");
    assertEquals(bits(expected.unbiasedVariance()), bits(actual.unbiasedVariance()), what + " var_unbiased");
    assertEquals(bits(expected.meanResidual()), bits(actual.meanResidual()), what + " mean_residual");
  }

  private static void assertSameKeyed(KeyedStatistics expected, KeyedStatistics actual) {
    assertEquals(expected.keyColumns(), actual.keyColumns());
    assertEquals(expected.entries().size(), actual.entries().size());
    for (int i = 0; i < expected.entries().size(); i++) {
      KeyedStatistics.Entry entry = expected.entries().get(i);
      assertEquals(entry.key(), actual.entries().get(i).key());
      assertSameStatistics(entry.statistics(), actual.entries().get(i).statistics(), expected.describe(entry.key()));
    }
    assertSameStatistics(expected.global(), actual.global(), "global");
  }

  private static List<Long> bits(double[] values) {
    return Arrays.stream(values).mapToObj(Double::doubleToRawLongBits).toList();
  }

  /** Every param: set or not, and the same value (arrays by content). */
  private static void assertSameParams(Params expected, Params actual) {
    assertEquals(expected.params().length, actual.params().length);
    for (Param<?> param : expected.params()) {
      Param<?> other = actual.getParam(param.name());
      assertEquals(expected.isSet(param), actual.isSet(other), param.name() + " set");
      assertEquals(expected.isDefined(param), actual.isDefined(other), param.name() + " defined");
      if (expected.isDefined(param)) {
        assertTrue(java.util.Objects.deepEquals(expected.getOrDefault(param), actual.getOrDefault(other)),
            param.name() + ": " + expected.getOrDefault(param) + " vs " + actual.getOrDefault(other));
      }
    }
  }
}
