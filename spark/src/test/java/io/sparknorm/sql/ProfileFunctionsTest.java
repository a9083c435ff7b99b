package io.sparknorm.sql;

import static io.sparknorm.sql.functions.profileShift;
import static io.sparknorm.sql.functions.tensorProfile;
import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.core.ChannelProfile;
import io.sparknorm.core.NormMethod;
import io.sparknorm.core.ProfileFormatException;
import io.sparknorm.core.ProfileSet;
import io.sparknorm.core.Shape;
import io.sparknorm.core.StatisticsProfile;
import io.sparknorm.spark.LocalSpark;
import io.sparknorm.spark.NormalizeSpec;
import io.sparknorm.spark.ProfileFrames;
import io.sparknorm.spark.StatisticsProfiles;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The SQL functions tensor_profile and profile_shift, and their DataFrame API twins. */
@ExtendWith(LocalSpark.class)
class ProfileFunctionsTest {
  private static SparkSession spark;

  @BeforeAll
  static void views() {
    ProfileFrames.frame(spark).createOrReplaceTempView("profiled");
    ProfileFrames.frame(spark, 1, 2.0).createOrReplaceTempView("doubled");
  }

  private static String profileOf(String view) {
    return spark.sql("SELECT tensor_profile(x, '3') FROM " + view).first().getString(0);
  }

  @Test
  void tensorProfileIsTheLibrarysProfileOfTheSameRows() {
    ProfileSet sql = ProfileSet.fromJson(profileOf("profiled"));
    StatisticsProfile library = StatisticsProfiles.profile(ProfileFrames.frame(spark),
        new NormalizeSpec(NormMethod.LAYER).inputCol("x").shape(Shape.of(3))).all();
    assertEquals(List.of(), sql.by());
    assertEquals(Shape.of(3), sql.all().shape());
    for (int c = 0; c < 3; c++) {
      ChannelProfile s = sql.all().channel(c);
      ChannelProfile l = library.channel(c);
      assertEquals(l.count(), s.count());
      assertEquals(ProfileFrames.ROWS, s.count());
      assertEquals(l.finite(), s.finite());
      assertEquals(l.min(), s.min());
      assertEquals(l.max(), s.max());
      assertEquals(l.modes(), s.modes(), "channel " + c);
      assertEquals(l.mean(), s.mean(), 1e-13 * Math.max(1, Math.abs(l.mean())));
    }
    assertEquals(2, sql.all().channel(2).modes().size());
    // GROUP BY gives one profile per group; no valid tensor gives NULL.
    List<Row> perSite = spark.sql("SELECT site, tensor_profile(x, '3') FROM profiled GROUP BY site ORDER BY site")
        .collectAsList();
    assertEquals(100, ProfileSet.fromJson(perSite.get(0).getString(1)).all().channel(0).count());
    assertEquals(50, ProfileSet.fromJson(perSite.get(1).getString(1)).all().channel(0).count());
    assertNull(spark.sql("SELECT tensor_profile(x, '3') FROM profiled WHERE id < 0").first().get(0));
    assertNull(spark.sql("SELECT tensor_profile(t, '2') FROM VALUES (array(1D, NULL)), (array(1D)) AS d(t)")
        .first().get(0));
  }

  @Test
  void profileShiftOfAProfileWithItselfFlagsNothingAndFlagsAPlantedShift() {
    String flagged = spark.sql("SELECT get_json_object(profile_shift(p, p), '$.summary.flagged')"
        + " FROM (SELECT tensor_profile(x, '3') AS p FROM profiled)").first().getString(0);
    assertEquals("0", flagged);
    Row shifted = spark.sql("SELECT get_json_object(s, '$.summary.flagged'), get_json_object(s, '$.channels[1].flags'),"
        + " get_json_object(s, '$.channels[0].flags') FROM (SELECT profile_shift(r.p, c.p) AS s"
        + " FROM (SELECT tensor_profile(x, '3') AS p FROM profiled) r, (SELECT tensor_profile(x, '3') AS p FROM doubled) c)")
        .first();
    assertEquals("1", shifted.getString(0));
    assertTrue(shifted.getString(1).contains("\"SHIFTED\""), shifted.getString(1));
    assertEquals("[]", shifted.getString(2));
    assertNull(spark.sql("SELECT profile_shift(CAST(NULL AS STRING), 'x')").first().get(0));
  }

  @Test
  void theDataFrameApiCallsTheSameFunctions() {
    String reference = profileOf("profiled");
    String current = profileOf("doubled");
    Dataset<Row> profiles = ProfileFrames.frame(spark).agg(tensorProfile(col("x"), ProfileFrames.SHAPE).as("p"));
    ProfileSet api = ProfileSet.fromJson(profiles.first().getString(0));
    ProfileSet sql = ProfileSet.fromJson(reference);
    for (int c = 0; c < 3; c++) {
      assertEquals(sql.all().channel(c).count(), api.all().channel(c).count());
      assertEquals(sql.all().channel(c).min(), api.all().channel(c).min());
      assertEquals(sql.all().channel(c).max(), api.all().channel(c).max());
      assertEquals(sql.all().channel(c).modes(), api.all().channel(c).modes());
    }
    String viaApi = spark.range(1).select(profileShift(lit(reference), lit(current))).first().getString(0);
    String viaSql = spark.sql("SELECT profile_shift(r, c) FROM VALUES ('" + reference + "', '" + current
        + "') AS t(r, c)").first().getString(0);
    assertEquals(viaSql, viaApi);
    assertTrue(viaApi.startsWith("{"), viaApi);
  }

  private static <T extends Throwable> T cause(Throwable failure, Class<T> type) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    throw new AssertionError("no " + type.getSimpleName() + " in " + failure, failure);
  }

  @Test
  void aStringThatIsNotAProfileFailsTheQueryNamingTheArgument() {
    String good = profileOf("profiled");
    Exception notJson = assertThrows(Exception.class,
        () -> spark.sql("SELECT profile_shift('{oops', p) FROM (SELECT tensor_profile(x, '3') AS p FROM profiled)")
            .collectAsList());
    String message = cause(notJson, ProfileFormatException.class).getMessage();
    assertTrue(message.startsWith("profile_shift: argument 1 (reference) is not a profile: not JSON: "), message);
    Exception otherFormat = assertThrows(Exception.class, () -> spark.range(1)
        .select(profileShift(lit(good), lit("{\"mean\": [1.0]}"))).collectAsList());
    message = cause(otherFormat, ProfileFormatException.class).getMessage();
    assertEquals("profile_shift: argument 2 (current) is not a profile: \"format\" is missing, expected"
        + " \"sparknorm-profile\"", message);
    Exception typed = assertThrows(Exception.class, () -> spark.sql("SELECT profile_shift(1, 'x')").collectAsList());
    assertEquals("profile_shift: argument 1 (reference) is of type int; give a profile's JSON string (of"
        + " tensor_profile, or a profile file's text)", cause(typed, IllegalArgumentException.class).getMessage());
  }

  @Test
  void tensorProfileOverAWholeStreamIsRefusedWhenTheQueryIsAnalyzed() {
    Column value = col("value").cast("double");
    Dataset<Row> stream = spark.readStream().format("rate").load()
        .select(col("value").mod(2).cast("string").as("site"), array(value, value, value).as("x"));
    stream.createOrReplaceTempView("profile_stream");
    for (Runnable query : List.<Runnable>of(
        () -> spark.sql("SELECT tensor_profile(x, '3') FROM profile_stream"),
        () -> stream.groupBy(col("site")).agg(tensorProfile(col("x"), ProfileFrames.SHAPE)))) {
      StreamingInputException e = assertThrows(StreamingInputException.class, query::run);
      assertEquals("tensor_profile", e.operation());
      assertEquals("tensor_profile: " + StreamingAggregates.WHOLE_STREAM_PROFILE, e.getMessage());
    }
    assertEquals(0, spark.streams().active().length);
    String described = String.join("\n", spark.sql("DESCRIBE FUNCTION EXTENDED tensor_profile").as(Encoders.STRING())
        .collectAsList());
    assertTrue(described.contains("Usage: tensor_profile(tensor, shape) - The profile of a tensor column"), described);
    assertTrue(described.contains("over a whole stream, without such a window, it is refused"), described);
  }
}
