package io.sparknorm.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.core.GoldenFiles;
import io.sparknorm.spark.SparkTestSession;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
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
    return new Pipeline().setStages(new PipelineStage[] {
        new VectorAssembler().setInputCols(FEATURES).setOutputCol("raw"),
        batchNorm,
        new LogisticRegression().setLabelCol("cultivar").setMaxIter(200)});
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

  @Test
  void crossValidationOverEps() {
    spark = SparkTestSession.start();
    TensorBatchNorm bn = batchNorm();
    double[] grid = {1e-5, 10.0};
    ParamMap[] maps = new ParamGridBuilder().addGrid(bn.eps(), grid).build();
    CrossValidatorModel cv = new CrossValidator().setEstimator(pipeline(bn)).setEstimatorParamMaps(maps)
        .setEvaluator(new MulticlassClassificationEvaluator().setLabelCol("cultivar").setMetricName("accuracy"))
        .setNumFolds(2).setSeed(7).fit(wine());
    double[] metrics = cv.avgMetrics();
    assertEquals(2, metrics.length);
    for (double m : metrics) {
      assertTrue(m > 0.8 && m <= 1.0, "accuracy per eps " + Arrays.toString(metrics));
    }
    TensorBatchNormModel best = (TensorBatchNormModel) ((PipelineModel) cv.bestModel()).stages()[1];
    int bestIndex = metrics[0] >= metrics[1] ? 0 : 1;
    assertEquals(grid[bestIndex], best.getEps(), "the best model's eps is the grid's best");
  }
}
