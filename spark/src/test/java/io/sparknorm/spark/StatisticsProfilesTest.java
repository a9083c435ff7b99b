package io.sparknorm.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.ChannelProfile;
import io.sparknorm.core.ChannelShift;
import io.sparknorm.core.Mode;
import io.sparknorm.core.NormMethod;
import io.sparknorm.core.ProfileFormatException;
import io.sparknorm.core.ProfileSet;
import io.sparknorm.core.Shape;
import io.sparknorm.core.ShiftFlag;
import io.sparknorm.core.ShiftSet;
import io.sparknorm.core.StatisticsProfile;
import io.sparknorm.sql.StreamingInputException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The library's covariate-shift calls: profile, fit, compare and the profile files, on {@link ProfileFrames}' data. */
@ExtendWith(LocalSpark.class)
class StatisticsProfilesTest {
  private static SparkSession spark;
  @TempDir
  Path dir;

  private static NormalizeSpec batch() {
    return new NormalizeSpec(NormMethod.BATCH).inputCol("x").shape(Shape.of(3));
  }

  private static double[] channel(int c, int scaled, double factor) {
    double[] v = new double[ProfileFrames.ROWS];
    for (int id = 0; id < v.length; id++) {
      v[id] = ProfileFrames.values(id, scaled, factor)[c];
    }
    return v;
  }

  /** The mean correctly rounded: the exact sum of the doubles over n, to 34 digits, then to a double. */
  private static double exactMean(double[] v) {
    BigDecimal sum = BigDecimal.ZERO;
    for (double x : v) {
      sum = sum.add(new BigDecimal(x));
    }
    return sum.divide(BigDecimal.valueOf(v.length), MathContext.DECIMAL128).doubleValue();
  }

  private static void assertBits(double[] expected, double[] actual, String what) {
    assertEquals(expected.length, actual.length, what);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(Double.doubleToRawLongBits(expected[i]), Double.doubleToRawLongBits(actual[i]),
          what + "[" + i + "]: " + expected[i] + " vs " + actual[i]);
    }
  }

  @Test
  void countsMinMaxMeanAreExactAndBatchNormsMomentsAreTheFittedStatisticsBits() {
    Dataset<Row> df = ProfileFrames.frame(spark);
    ProfileSet set = StatisticsProfiles.profile(df, batch());
    assertEquals(List.of(), set.by());
    assertEquals(List.of(), set.keys());
    StatisticsProfile all = set.all();
    assertEquals(Shape.of(3), all.shape());
    assertTrue(all.exactMoments());
    BatchStatistics fitted = TensorNormalization.fitStatistics(df, batch());
    double[] mean = new double[3];
    double[] var = new double[3];
    for (int c = 0; c < 3; c++) {
      double[] v = channel(c, -1, 1);
      ChannelProfile p = all.channel(c);
      assertEquals(c, p.index());
      assertEquals(ProfileFrames.ROWS, p.count());
      assertEquals(ProfileFrames.ROWS, p.finite());
      assertEquals(0, p.nans() + p.infinities() + p.zeros());
      assertEquals(java.util.Arrays.stream(v).min().getAsDouble(), p.min());
      assertEquals(java.util.Arrays.stream(v).max().getAsDouble(), p.max());
      assertEquals(exactMean(v), p.mean(), "channel " + c);
      assertEquals(ProfileFrames.ROWS, p.sketch().getN());
      mean[c] = p.mean();
      var[c] = p.var();
    }
    assertBits(fitted.mean(), mean, "mean");
    assertBits(fitted.variance(), var, "var");
    // The two-mode channel: one mode around -5, one around +5, half of the values each.
    List<Mode> modes = all.channel(2).modes();
    assertEquals(2, modes.size(), modes.toString());
    assertEquals(-5, modes.get(0).location(), 1.0);
    assertEquals(5, modes.get(1).location(), 1.0);
    assertEquals(0.5, modes.get(0).mass(), 0.1);
    assertEquals(0.5, modes.get(1).mass(), 0.1);
  }

  @Test
  void perSampleMethodsTakeTheSketchesMomentsOfTheSameSketches() {
    Dataset<Row> df = ProfileFrames.frame(spark);
    StatisticsProfile layer = StatisticsProfiles.profile(df,
        new NormalizeSpec(NormMethod.LAYER).inputCol("x").shape(Shape.of(3))).all();
    StatisticsProfile exact = StatisticsProfiles.profile(df, batch()).all();
    assertFalse(layer.exactMoments());
    for (int c = 0; c < 3; c++) {
      ChannelProfile p = layer.channel(c);
      ChannelProfile e = exact.channel(c);
      assertEquals(e.count(), p.count());
      assertEquals(e.min(), p.min());
      assertEquals(e.max(), p.max());
      assertEquals(e.modes(), p.modes());
      assertEquals(e.mean(), p.mean(), 1e-13 * Math.max(1, Math.abs(e.mean())), "channel " + c);
      assertEquals(e.var(), p.var(), 1e-13 * e.var(), "channel " + c);
    }
  }

  @Test
  void perKeyEachKeysMomentsAreItsStatisticsAndAllRowsThoseWithoutKeys() {
    Dataset<Row> df = ProfileFrames.frame(spark);
    NormalizeSpec keyed = batch().by(List.of("site"));
    ProfileSet set = StatisticsProfiles.profile(df, keyed);
    assertEquals(List.of("site"), set.by());
    assertEquals(List.of(List.of("a"), List.of("b")), set.keys().stream().map(ProfileSet.Keyed::key).toList());
    assertEquals(100, set.keys().get(0).profile().channel(0).count());
    assertEquals(50, set.keys().get(1).profile().channel(0).count());
    KeyedStatistics statistics = TensorNormalization.fitKeyedStatistics(df, keyed);
    for (ProfileSet.Keyed key : set.keys()) {
      BatchStatistics own = statistics.statistics(key.key());
      assertBits(own.mean(), means(key.profile()), "mean of key " + key.key());
      assertBits(own.variance(), vars(key.profile()), "var of key " + key.key());
    }
    StatisticsProfile unkeyed = StatisticsProfiles.profile(df, batch()).all();
    assertBits(statistics.global().mean(), means(set.all()), "mean of all rows");
    assertBits(means(unkeyed), means(set.all()), "mean without keys");
    for (int c = 0; c < 3; c++) {
      assertEquals(ProfileFrames.ROWS, set.all().channel(c).count());
      assertEquals(unkeyed.channel(c).min(), set.all().channel(c).min());
      assertEquals(unkeyed.channel(c).max(), set.all().channel(c).max());
    }
    assertSame(set.keys().get(0).profile(), set.key(List.of("a")));
    assertNull(set.key(List.of("c")));
  }

  private static double[] means(StatisticsProfile profile) {
    return profile.channels().stream().mapToDouble(ChannelProfile::mean).toArray();
  }

  private static double[] vars(StatisticsProfile profile) {
    return profile.channels().stream().mapToDouble(ChannelProfile::var).toArray();
  }

  @Test
  void fitGivesTheStatisticsOfAFitAndTheProfileOfTheSameRowsInOnePass() {
    Dataset<Row> df = ProfileFrames.frame(spark);
    StatisticsProfiles.Fitted fitted = StatisticsProfiles.fit(df, batch());
    BatchStatistics expected = TensorNormalization.fitStatistics(df, batch());
    assertBits(expected.mean(), fitted.statistics().mean(), "mean");
    assertBits(expected.meanResidual(), fitted.statistics().meanResidual(), "mean_residual");
    assertBits(expected.variance(), fitted.statistics().variance(), "var");
    assertBits(expected.unbiasedVariance(), fitted.statistics().unbiasedVariance(), "var_unbiased");
    assertEquals(expected.count(), fitted.statistics().count());
    assertEquals(expected.algorithm(), fitted.statistics().algorithm());
    assertEquals(ProfileFrames.ROWS, fitted.rows());
    assertNull(fitted.keyed());
    assertEquals(StatisticsProfiles.profile(df, batch()).toJson(), fitted.profile().toJson());

    // Scaled statistics, as --scale fits them; the profile stays of the values as they are.
    StatisticsProfiles.Fitted scaled = StatisticsProfiles.fit(df, batch().statisticsScale(4));
    assertBits(TensorNormalization.fitStatistics(df, batch().statisticsScale(4)).mean(), scaled.statistics().mean(),
        "scaled mean");
    assertBits(expected.mean(), means(scaled.profile().all()), "the profile's mean with a scale");

    StatisticsProfiles.Fitted keyed = StatisticsProfiles.fit(df, batch().by(List.of("site")));
    KeyedStatistics statistics = TensorNormalization.fitKeyedStatistics(df, batch().by(List.of("site")));
    assertBits(statistics.global().variance(), keyed.statistics().variance(), "global var");
    assertEquals(statistics.entries().size(), keyed.keyed().entries().size());
    for (KeyedStatistics.Entry entry : statistics.entries()) {
      assertBits(entry.statistics().variance(), keyed.keyed().statistics(entry.key()).variance(), "var " + entry.key());
    }
    assertEquals(2, keyed.profile().keys().size());

    IllegalArgumentException layer = assertThrows(IllegalArgumentException.class, () -> StatisticsProfiles.fit(df,
        new NormalizeSpec(NormMethod.LAYER).inputCol("x")));
    assertEquals("method: statistics are fitted for batch norm, not layer", layer.getMessage());
    ColumnException one = assertThrows(ColumnException.class, () -> StatisticsProfiles.fit(df.limit(1),
        new NormalizeSpec(NormMethod.BATCH).inputCol("x").shape(Shape.of(3))));
    assertTrue(one.getMessage().contains("batch norm needs more than 1 value per channel, got 1"), one.getMessage());
  }

  @Test
  void aFrameComparedWithItsOwnProfileRaisesNoFlagAndAPlantedShiftIsFlaggedInItsChannel() {
    Dataset<Row> df = ProfileFrames.frame(spark);
    ProfileSet reference = StatisticsProfiles.profile(df, batch());
    // Without a shape the reference's is used.
    ShiftSet same = StatisticsProfiles.compare(reference, df, new NormalizeSpec(NormMethod.BATCH).inputCol("x"));
    assertEquals(3, same.all().channels().size());
    assertEquals(0, same.all().flagged());
    assertFalse(same.failsGate());

    ShiftSet doubled = StatisticsProfiles.compare(reference, ProfileFrames.frame(spark, 1, 2.0), batch());
    ChannelShift shifted = doubled.all().channels().get(1);
    assertTrue(shifted.flags().contains(ShiftFlag.SHIFTED), shifted.toString());
    assertEquals(Set.of(), doubled.all().channels().get(0).flags());
    assertEquals(Set.of(), doubled.all().channels().get(2).flags());
    assertEquals(1, doubled.all().flagged());
    assertTrue(doubled.failsGate());

    NormalizeSpec keyed = batch().by(List.of("site"));
    ShiftSet perKey = StatisticsProfiles.compare(StatisticsProfiles.profile(df, keyed),
        ProfileFrames.frame(spark, 1, 2.0), keyed);
    assertEquals(2, perKey.keys().size());
    for (ShiftSet.Keyed key : perKey.keys()) {
      assertFalse(key.unseen());
      assertTrue(key.result().channels().get(1).flags().contains(ShiftFlag.SHIFTED), key.key().toString());
      assertEquals(1, key.result().flagged(), key.key().toString());
    }
  }

  @Test
  void profileFilesRoundTripAndABadOneIsRefusedNamingIt() throws Exception {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    ProfileSet keyed = StatisticsProfiles.profile(ProfileFrames.frame(spark), batch().by(List.of("site")));
    String file = dir.resolve("profile.json").toString();
    StatisticsProfiles.write(keyed, file, conf);
    assertEquals(keyed.toJson(), StatisticsProfiles.read(file, conf).toJson());
    UncheckedIOException exists = assertThrows(UncheckedIOException.class,
        () -> StatisticsProfiles.write(keyed, file, conf));
    assertTrue(exists.getMessage().startsWith("profile file " + file + " cannot be written: "), exists.getMessage());

    String shiftFile = dir.resolve("shift.json").toString();
    ShiftSet shift = StatisticsProfiles.compare(keyed, ProfileFrames.frame(spark), batch().by(List.of("site")));
    StatisticsProfiles.writeShift(shift, shiftFile, conf);
    assertEquals(shift.toJson(), Files.readString(Path.of(shiftFile), StandardCharsets.UTF_8));

    String missing = dir.resolve("none.json").toString();
    assertEquals("profile file " + missing + " does not exist", assertThrows(ProfileFormatException.class,
        () -> StatisticsProfiles.read(missing, conf)).getMessage());
    Path bad = Files.writeString(dir.resolve("bad.json"), "{\"format\": \"sparknorm-profile\", \"version\": 1");
    String notJson = assertThrows(ProfileFormatException.class, () -> StatisticsProfiles.read(bad.toString(), conf))
        .getMessage();
    assertTrue(notJson.startsWith("profile file " + bad + ": not JSON: "), notJson);
    Path other = Files.writeString(dir.resolve("stats.json"), "{\"mean\": [1.0], \"var\": [2.0]}");
    String format = assertThrows(ProfileFormatException.class, () -> StatisticsProfiles.read(other.toString(), conf))
        .getMessage();
    assertEquals("profile file " + other + ": \"format\" is missing, expected \"sparknorm-profile\"", format);
    Path newer = Files.writeString(dir.resolve("newer.json"), "{\"format\": \"sparknorm-profile\", \"version\": 99}");
    assertEquals("profile file " + newer + ": version 99 is newer than this reader's 1; use a newer sparknorm",
        assertThrows(ProfileFormatException.class, () -> StatisticsProfiles.read(newer.toString(), conf)).getMessage());
  }

  @Test
  void aStreamIsRefusedBeforeAnyJob() {
    Column value = functions.col("value").cast("double");
    Dataset<Row> stream = spark.readStream().format("rate").load().select(functions.array(value, value, value).as("x"));
    StreamingInputException e = assertThrows(StreamingInputException.class,
        () -> StatisticsProfiles.profile(stream, batch()));
    assertEquals("StatisticsProfiles.profile", e.operation());
    assertEquals("StatisticsProfiles.profile: the dataset is a stream; " + StatisticsProfiles.STREAM, e.getMessage());
    ProfileSet reference = StatisticsProfiles.profile(ProfileFrames.frame(spark), batch());
    assertEquals("StatisticsProfiles.compare", assertThrows(StreamingInputException.class,
        () -> StatisticsProfiles.compare(reference, stream, batch())).operation());
    assertEquals("StatisticsProfiles.fit", assertThrows(StreamingInputException.class,
        () -> StatisticsProfiles.fit(stream, batch())).operation());
    assertEquals(0, spark.streams().active().length);
  }
}
