package io.sparknorm.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.core.GoldenFiles;
import io.sparknorm.spark.SparkTestSession;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.CrossValidator;
import org.apache.spark.ml.tuning.CrossValidatorModel;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The notebook user's path: {@code VectorAssembler -> TensorBatchNorm -> LogisticRegression} on the
 * wine data, fitted, saved, loaded with {@code PipelineModel.load} in a new Spark session; and a
 * CrossValidator over batch norm's eps.
 */
class PipelineTest {
  private static final String[] FEATURES = {"alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium",
      "total_phenols", "flavanoids", "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue",
      "od280_od315", "proline"};

  @TempDir
  Path dir;

  private SparkSession spark;

  @AfterEach
  void stopSpark() {
    if (spark != null) {
      spark.stop();
    }
  }

  private Dataset<Row> wine() {
    return spark.read().option("header", "true").option("inferSchema", "true")
        .csv(GoldenFiles.dataDir().resolve("wine.csv").toString());
  }

  private static TensorBatchNorm batchNorm() {
    return new TensorBatchNorm().setInputCol("raw").setOutputCol("features");
  }

  private static Pipeline pipeline(TensorBatchNorm batchNorm) {
    return pipeline(batchNorm, new LogisticRegression().setLabelCol("cultivar").setMaxIter(200));
  }

  private static Pipeline pipeline(TensorBatchNorm batchNorm, LogisticRegression classifier) {
    return new Pipeline().setStages(new PipelineStage[] {
        new VectorAssembler().setInputCols(FEATURES).setOutputCol("raw"), batchNorm, classifier});
  }

  @Test
  void fitSaveLoadInANewSessionGivesIdenticalPredictions() {
    spark = SparkTestSession.start();
    Dataset<Row> wine = wine();
    assertEquals(178, wine.count());
    PipelineModel model = pipeline(batchNorm()).fit(wine);
    List<Row> before = model.transform(wine).select("id", "features", "probability", "prediction").orderBy("id")
        .collectAsList();
    double accuracy = new MulticlassClassificationEvaluator().setLabelCol("cultivar").setMetricName("accuracy")
        .evaluate(model.transform(wine));
    assertTrue(accuracy >= 0.99, "training accuracy " + accuracy);

    // The batch-normalized features: mean 0 and biased variance 1 per channel over the 178 rows.
    TensorBatchNormModel bn = (TensorBatchNormModel) model.stages()[1];
    assertEquals(178, bn.count());
    double[] sum = new double[FEATURES.length];
    double[] squares = new double[FEATURES.length];
    for (Row row : before) {
      double[] x = ((Vector) row.get(1)).toArray();
      for (int c = 0; c < x.length; c++) {
        sum[c] += x[c];
        squares[c] += x[c] * x[c];
      }
    }
    for (int c = 0; c < FEATURES.length; c++) {
      double var = bn.variance()[c];
      assertEquals(0.0, sum[c] / 178, 1e-12, FEATURES[c] + " mean after batch norm");
      assertEquals(var / (var + 1e-5), squares[c] / 178, 1e-12, FEATURES[c] + " variance after batch norm");
    }

    String path = dir.resolve("wine-pipeline").toString();
    try {
      model.write().save(path);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    spark.stop();
    spark = SparkTestSession.start();
    PipelineModel loaded = PipelineModel.load(path);
    assertEquals(TensorBatchNormModel.class, loaded.stages()[1].getClass());
    List<Row> after = loaded.transform(wine()).select("id", "features", "probability", "prediction").orderBy("id")
        .collectAsList();
    assertEquals(before, after, "predictions after loading in a new session");
  }

  /**
   * A CrossValidator over batch norm's eps: the two candidates must score differently, the best model is the
   * lower loss's and carries its eps, and every fitted candidate normalizes with its own eps. The classifier is
   * L2-regularized and does not standardize the features itself (Spark's default would undo any per-channel scale,
   * eps's included): the features' scale, and so eps, changes its log loss.
   */
  @Test
  void crossValidationOverEps() {
    spark = SparkTestSession.start();
    TensorBatchNorm bn = batchNorm();
    // Far apart: eps 10 exceeds the variance of several wine channels many times, shrinking them towards 0.
    double[] grid = {1e-5, 10.0};
    ParamMap[] maps = new ParamGridBuilder().addGrid(bn.eps(), grid).build();
    MulticlassClassificationEvaluator logLoss = new MulticlassClassificationEvaluator().setLabelCol("cultivar")
        .setMetricName("logLoss");
    Dataset<Row> wine = wine();
    LogisticRegression regularized = new LogisticRegression().setLabelCol("cultivar").setMaxIter(200)
        .setStandardization(false).setRegParam(0.1);
    CrossValidatorModel cv = new CrossValidator().setEstimator(pipeline(bn, regularized)).setEstimatorParamMaps(maps)
        .setEvaluator(logLoss).setNumFolds(2).setSeed(7).setCollectSubModels(true).fit(wine);
    double[] metrics = cv.avgMetrics();
    assertEquals(2, metrics.length);
    assertTrue(Math.abs(metrics[0] - metrics[1]) > 1e-3 * Math.max(metrics[0], metrics[1]),
        "log loss per eps barely differs, as if eps were ignored: " + Arrays.toString(metrics));
    int bestIndex = metrics[0] <= metrics[1] ? 0 : 1;
    TensorBatchNormModel best = (TensorBatchNormModel) ((PipelineModel) cv.bestModel()).stages()[1];
    assertEquals(grid[bestIndex], best.getEps(), "the best model's eps is the lower log loss's");
    assertNormalizedWithItsEps(best, wine, grid[bestIndex]);
    for (Model<?>[] fold : cv.subModels()) {
      for (int m = 0; m < grid.length; m++) {
        TensorBatchNormModel candidate = (TensorBatchNormModel) ((PipelineModel) fold[m]).stages()[1];
        assertEquals(grid[m], candidate.getEps(), "candidate " + m + "'s eps");
        assertNormalizedWithItsEps(candidate, wine, grid[m]);
      }
    }
  }

  /** Every output value is (x - mean) / sqrt(var + eps) with the model's statistics and this eps. */
  private void assertNormalizedWithItsEps(TensorBatchNormModel model, Dataset<Row> wine, double eps) {
    Dataset<Row> raw = new VectorAssembler().setInputCols(FEATURES).setOutputCol("raw").transform(wine);
    List<Row> rows = model.transform(raw).select("raw", "features").collectAsList();
    assertEquals(178, rows.size());
    double[] mean = model.mean();
    double[] var = model.variance();
    for (Row row : rows) {
      double[] x = ((Vector) row.get(0)).toArray();
      double[] y = ((Vector) row.get(1)).toArray();
      for (int c = 0; c < FEATURES.length; c++) {
        double expected = (x[c] - mean[c]) / Math.sqrt(var[c] + eps);
        assertEquals(expected, y[c], 1e-12 * Math.max(1, Math.abs(expected)), FEATURES[c] + " with eps " + eps);
      }
    }
  }
}
