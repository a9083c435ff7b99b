package io.sparknorm.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** ProfileSet's JSON: every double back to its bits, the sketches' bytes, the keys, and the refusals with their reasons. */
class ProfileSetTest {

  /** Channels of every kind: normal, bimodal, constant, empty (all NaN), with infinities, tiny and huge values. */
  static ChannelSketches sketches(long seed, int rows) {
    ChannelSketches s = new ChannelSketches(Shape.of(6));
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < rows; i++) {
      double g = r.nextGaussian();
      s.update(new double[] {
          g * Math.PI + 1 / 3.0,
          (r.nextBoolean() ? -4 : 4) + g,
          7.25,
          Double.NaN,
          i % 50 == 0 ? Double.POSITIVE_INFINITY : r.nextInt(17),
          g * 1e-310 + (i % 3 == 0 ? 1e300 : -0.0)});
    }
    return s;
  }

  static BatchStatistics exact(ChannelSketches s) {
    int c = s.shape().channels();
    double[] mean = new double[c];
    double[] var = new double[c];
    for (int i = 0; i < c; i++) {
      // Not the sketches' moments, so the test sees which were used; finite, as batch norm's are.
      mean[i] = Double.isFinite(s.mean(i)) ? s.mean(i) + 1e-17 : 0;
      var[i] = Double.isFinite(s.variance(i)) ? s.variance(i) : 1;
    }
    return new BatchStatistics(s.shape(), s.count(), mean, var, var);
  }

  @Test
  void roundTripKeepsEveryBitAndKey() {
    ChannelSketches a = sketches(1, 20_000);
    StatisticsProfile all = StatisticsProfile.of(a, exact(a));
    StatisticsProfile k1 = StatisticsProfile.of(sketches(2, 300), null);
    StatisticsProfile k2 = StatisticsProfile.of(sketches(3, 5), null);
    ProfileSet set = new ProfileSet(List.of("domain", "day", "ok"), all, List.of(
        new ProfileSet.Keyed(Arrays.asList("a", 7, true), k1),
        new ProfileSet.Keyed(Arrays.asList(null, 2.5, false), k2)));
    String json = set.toJson();
    ProfileSet back = ProfileSet.fromJson(json);

    assertEquals(List.of("domain", "day", "ok"), back.by());
    assertEquals(json, back.toJson());
    assertProfileEquals(all, back.all());
    assertTrue(back.all().exactMoments());
    assertEquals(2, back.keys().size());
    assertEquals(Arrays.asList("a", 7L, true), back.keys().get(0).key());
    assertEquals(Arrays.asList(null, 2.5, false), back.keys().get(1).key());
    assertProfileEquals(k1, back.keys().get(0).profile());
    assertProfileEquals(k2, back.keys().get(1).profile());
    // Keys match by value: an Integer asks for what JSON read back as a Long, and the other way round.
    assertSame(back.keys().get(0).profile(), back.key(Arrays.asList("a", 7, true)));
    assertSame(back.keys().get(0).profile(), back.key(Arrays.asList("a", (short) 7, true)));
    assertSame(set.keys().get(0).profile(), set.key(Arrays.asList("a", 7L, true)));
    assertSame(back.keys().get(1).profile(), back.key(Arrays.asList(null, 2.5f, false)));
    assertNull(back.key(Arrays.asList("a", 8, true)));
    assertNull(back.key(Arrays.asList("a", "7", true)));

    // The figures kept: the all-NaN channel has NaN statistics and an empty sketch, the bimodal one two modes.
    ChannelProfile nan = back.all().channel(3);
    assertEquals(20_000, nan.nans());
    assertEquals(0, nan.finite());
    assertTrue(Double.isNaN(nan.mean()) && Double.isNaN(nan.min()) && nan.sketch().isEmpty());
    assertEquals(400, back.all().channel(4).infinities());
    assertEquals(2, back.all().channel(1).modes().size());
    assertEquals(a.mean(0) + 1e-17, back.all().channel(0).mean());
  }

  @Test
  void withoutKeysWritesNoByAndTheSketchMoments() {
    StatisticsProfile all = StatisticsProfile.of(sketches(4, 1_000), null);
    String json = ProfileSet.of(all).toJson();
    assertTrue(json.startsWith("{\"format\":\"sparknorm-profile\",\"version\":1,\"shape\":[6],\"k\":200,\"moments\":\"sketch\","),
        json.substring(0, 120));
    assertTrue(!json.contains("\"by\"") && !json.contains("\"keys\""));
    ProfileSet back = ProfileSet.fromJson(json);
    assertEquals(List.of(), back.by());
    assertEquals(false, back.all().exactMoments());
    assertProfileEquals(all, back.all());
  }

  static void assertProfileEquals(StatisticsProfile expected, StatisticsProfile actual) {
    assertEquals(expected.shape(), actual.shape());
    assertEquals(expected.k(), actual.k());
    assertEquals(expected.exactMoments(), actual.exactMoments());
    for (int c = 0; c < expected.channels().size(); c++) {
      ChannelProfile e = expected.channel(c);
      ChannelProfile a = actual.channel(c);
      String at = "channel " + c;
      assertEquals(e.index(), a.index(), at);
      assertArrayEquals(new long[] {e.count(), e.finite(), e.nans(), e.infinities(), e.zeros()},
          new long[] {a.count(), a.finite(), a.nans(), a.infinities(), a.zeros()}, at);
      assertArrayEquals(bits(e.mean(), e.var(), e.min(), e.max(), e.kurtosis()),
          bits(a.mean(), a.var(), a.min(), a.max(), a.kurtosis()), at);
      assertEquals(e.modes().size(), a.modes().size(), at);
      for (int m = 0; m < e.modes().size(); m++) {
        Mode x = e.modes().get(m);
        Mode y = a.modes().get(m);
        assertArrayEquals(bits(x.location(), x.lo(), x.hi(), x.mass()), bits(y.location(), y.lo(), y.hi(), y.mass()), at);
      }
      assertArrayEquals(e.sketch().toByteArray(), a.sketch().toByteArray(), at);
    }
  }

  /** The bits of each double; every NaN as the one NaN (JSON's "NaN" has no payload). */
  static long[] bits(double... xs) {
    long[] out = new long[xs.length];
    for (int i = 0; i < xs.length; i++) {
      out[i] = Double.doubleToLongBits(xs[i]);
    }
    return out;
  }

  private static String refusal(String json) {
    return assertThrows(ProfileFormatException.class, () -> ProfileSet.fromJson(json)).getMessage();
  }

  @Test
  void refusesWhatIsNotAProfileNamingTheProblem() {
    String good = ProfileSet.of(StatisticsProfile.of(sketches(5, 100), null)).toJson();
    assertTrue(refusal("{\"format\": ").startsWith("profile: not JSON: "), refusal("{\"format\": "));
    assertEquals("profile: not a JSON object", refusal("[1, 2]"));
    assertEquals("profile: \"format\" is \"other\", expected \"sparknorm-profile\"",
        refusal(good.replace("\"sparknorm-profile\"", "\"other\"")));
    assertEquals("profile: \"format\" is missing, expected \"sparknorm-profile\"",
        refusal(good.replace("\"format\":\"sparknorm-profile\",", "")));
    assertEquals("profile: version 2 is newer than this reader's 1; use a newer sparknorm",
        refusal(good.replace("\"version\":1", "\"version\":2")));
    assertEquals("profile: channel 2 lacks \"mean\"", refusal(dropField(good, 2, "\"mean\":7.25,")));
    assertEquals("profile: channel 1 lacks \"kll\"", refusal(good.replaceFirst("(\"index\":1,.*?),\"kll\":\"[^\"]*\"", "$1")));
    assertTrue(refusal(good.replaceFirst("(\"index\":0,.*?\"kll\":\")[^\"]*\"", "$1AAAA\""))
        .startsWith("profile: channel 0's \"kll\" is not a KLL sketch in base64: "));
    assertTrue(refusal(good.replaceFirst("(\"index\":0,.*?\"kll\":\")[^\"]*\"", "$1not base64!\""))
        .startsWith("profile: channel 0's \"kll\" is not a KLL sketch in base64: "));
    assertEquals("profile: the profile has 6 channels, the shape (5,) has 5", refusal(good.replace("\"shape\":[6]", "\"shape\":[5]")));
    assertEquals("profile: channel 0's \"mean\" is \"x\", expected a number",
        refusal(good.replaceFirst("\"mean\":[^,]*,", "\"mean\":\"x\",")));
    String keyed = new ProfileSet(List.of("d"), StatisticsProfile.of(sketches(6, 50), null),
        List.of(new ProfileSet.Keyed(List.of("x"), StatisticsProfile.of(sketches(7, 50), null)))).toJson();
    assertEquals("profile: key [\"x\"], channel 3 lacks \"min\"",
        refusal(keyed.replaceFirst("(\"key\":\\[\"x\"\\].*?\"index\":3,.*?)\"min\":\"NaN\",", "$1")));
    assertEquals("profile: key 0's \"key\" is [\"x\",1], expected 1 values (one per \"by\" column)",
        refusal(keyed.replace("\"key\":[\"x\"]", "\"key\":[\"x\",1]")));
  }

  /** The JSON without one field of channel c (of all rows). */
  private static String dropField(String json, int c, String field) {
    int at = json.indexOf("{\"index\":" + c + ",");
    int end = json.indexOf(field, at);
    assertTrue(at >= 0 && end > at, field);
    return json.substring(0, end) + json.substring(end + field.length());
  }

  @Test
  void equalKeysOfOtherIntegerWidthsAreOneKey() {
    List<Object> ints = new ArrayList<>(Arrays.asList(1, (byte) 2, 3L));
    assertEquals(List.of(1L, 2L, 3L), ProfileSet.normalized(ints));
  }
}
