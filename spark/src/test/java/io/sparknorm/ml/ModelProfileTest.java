package io.sparknorm.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.core.ChannelProfile;
import io.sparknorm.core.ProfileSet;
import io.sparknorm.core.ShiftFlag;
import io.sparknorm.core.ShiftSet;
import io.sparknorm.spark.LocalSpark;
import io.sparknorm.spark.ProfileFrames;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** TensorBatchNormModel's profile: fitted with the statistics, saved and loaded with the model, compared with data. */
@ExtendWith(LocalSpark.class)
class ModelProfileTest {
  private static SparkSession spark;
  @TempDir
  Path dir;

  private static TensorBatchNorm estimator() {
    return new TensorBatchNorm().setInputCol("x").setOutputCol("y");
  }

  @Test
  void theFitProfilesItsDataTheSaveKeepsItAndShiftFlagsAPlantedShift() throws Exception {
    Dataset<Row> train = ProfileFrames.frame(spark);
    TensorBatchNormModel model = estimator().fit(train);
    ProfileSet profile = model.profile();
    assertNotNull(profile);
    assertTrue(profile.all().exactMoments());
    assertArrayEquals(model.mean(), profile.all().channels().stream().mapToDouble(ChannelProfile::mean).toArray());
    assertArrayEquals(model.variance(), profile.all().channels().stream().mapToDouble(ChannelProfile::var).toArray());
    assertEquals(ProfileFrames.ROWS, profile.all().channel(2).count());

    String path = dir.resolve("model").toString();
    model.write().save(path);
    assertTrue(Files.exists(dir.resolve("model").resolve("profile.json")));
    TensorBatchNormModel loaded = TensorBatchNormModel.load(path);
    assertEquals(profile.toJson(), loaded.profile().toJson());
    assertEquals(profile.toJson(), loaded.copy(new org.apache.spark.ml.param.ParamMap()).profile().toJson());

    ShiftSet same = loaded.shift(train);
    assertEquals(0, same.all().flagged());
    ShiftSet doubled = loaded.shift(ProfileFrames.frame(spark, 1, 2.0));
    assertTrue(doubled.all().channels().get(1).flags().contains(ShiftFlag.SHIFTED), doubled.toJson());
    assertEquals(Set.of(), doubled.all().channels().get(0).flags());
    assertEquals(Set.of(), doubled.all().channels().get(2).flags());
    assertTrue(doubled.failsGate());
  }

  @Test
  void withoutProfileTheFitGivesTheSameStatisticsAndNoProfile() {
    Dataset<Row> train = ProfileFrames.frame(spark);
    TensorBatchNormModel profiled = estimator().fit(train);
    TensorBatchNormModel plain = estimator().setProfile(false).fit(train);
    assertNull(plain.profile());
    assertArrayEquals(profiled.mean(), plain.mean());
    assertArrayEquals(profiled.variance(), plain.variance());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> plain.shift(train));
    assertTrue(e.getMessage().contains("fitted with profile false"), e.getMessage());
  }

  @Test
  void aModelPerKeyKeepsEachKeysProfile() throws Exception {
    Dataset<Row> train = ProfileFrames.frame(spark);
    TensorBatchNormModel model = estimator().setGroupCols("site").fit(train);
    assertEquals(List.of("site"), model.profile().by());
    assertEquals(2, model.profile().keys().size());
    for (ProfileSet.Keyed key : model.profile().keys()) {
      double[] mean = key.profile().channels().stream().mapToDouble(ChannelProfile::mean).toArray();
      assertArrayEquals(model.keyedStatistics().statistics(key.key()).mean(), mean, key.key().toString());
    }
    String path = dir.resolve("keyed").toString();
    model.write().save(path);
    TensorBatchNormModel loaded = TensorBatchNormModel.load(path);
    assertEquals(model.profile().toJson(), loaded.profile().toJson());
    ShiftSet shift = loaded.shift(ProfileFrames.frame(spark, 0, 3.0));
    for (ShiftSet.Keyed key : shift.keys()) {
      assertTrue(key.result().channels().get(0).flags().contains(ShiftFlag.SHIFTED), key.key().toString());
    }
    assertTrue(shift.all().channels().get(0).flags().contains(ShiftFlag.SHIFTED));
  }

  @Test
  void aModelWithoutProfileLoadsAndShiftRefusesClearly() throws Exception {
    Dataset<Row> train = ProfileFrames.frame(spark);
    TensorBatchNormModel fitted = estimator().fit(train);
    String path = dir.resolve("old").toString();
    fitted.write().save(path);
    // A model folder from before profiles: the same files without profile.json.
    Files.delete(dir.resolve("old").resolve("profile.json"));
    TensorBatchNormModel old = TensorBatchNormModel.load(path);
    assertNull(old.profile());
    assertArrayEquals(fitted.mean(), old.mean());
    assertEquals(fitted.transform(train).collectAsList(), old.transform(train).collectAsList());
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> old.shift(train));
    assertEquals("TensorBatchNormModel " + old.uid() + " has no profile to compare with: it was built from given"
        + " statistics, fitted with profile false, or saved before models kept profiles; fit a TensorBatchNorm on the"
        + " reference data to get one",
        e.getMessage());

    TensorBatchNormModel given = TensorBatchNormModel.of(fitted.mean(), fitted.variance()).setInputCol("x");
    assertNull(given.profile());
    String givenPath = dir.resolve("given").toString();
    given.write().save(givenPath);
    assertFalse(Files.exists(dir.resolve("given").resolve("profile.json")));
    assertNull(TensorBatchNormModel.load(givenPath).profile());
    assertThrows(IllegalStateException.class, () -> given.shift(train));
  }
}
