package io.sparknorm.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** CovariateShift on profile sets (keys, unseen keys, the gate) and ShiftSet's JSON. */
class ShiftSetTest {

  /** 3 channels of normal values: channel 1's mean moved by shift reference standard deviations. */
  static StatisticsProfile profile(long seed, int rows, double shift) {
    ChannelSketches s = new ChannelSketches(Shape.of(3));
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < rows; i++) {
      s.update(new double[] {r.nextGaussian(), r.nextGaussian() + shift, 10 + r.nextGaussian()});
    }
    return StatisticsProfile.of(s, null);
  }

  @Test
  void keysAreComparedWithTheirOwnReferenceAndUnseenOnesReported() throws Exception {
    ProfileSet reference = new ProfileSet(List.of("domain"), profile(1, 4_000, 0), List.of(
        new ProfileSet.Keyed(List.of("a"), profile(2, 4_000, 0)),
        new ProfileSet.Keyed(List.of("b"), profile(3, 4_000, 0))));
    ProfileSet now = new ProfileSet(List.of("domain"), profile(4, 4_000, 0), List.of(
        new ProfileSet.Keyed(List.of("b"), profile(5, 4_000, 1)),
        new ProfileSet.Keyed(List.of("c"), profile(6, 4_000, 0))));
    ShiftSet set = CovariateShift.compare(ProfileSet.fromJson(reference.toJson()), now);

    assertEquals(0, set.all().flagged());
    assertEquals(2, set.keys().size());
    ShiftSet.Keyed b = set.keys().get(0);
    assertEquals(List.of("b"), b.key());
    assertFalse(b.unseen());
    assertEquals(Set.of(ShiftFlag.SHIFTED), b.result().channels().get(1).flags());
    assertEquals(1, b.result().flagged());
    assertEquals(1, b.result().worst().index());
    ShiftSet.Keyed c = set.keys().get(1);
    assertTrue(c.unseen());
    assertNull(c.result());
    assertTrue(set.failsGate());

    JsonNode json = new ObjectMapper().readTree(set.toJson());
    assertEquals(3, json.at("/summary/channels").asInt());
    assertEquals(0, json.at("/summary/flagged").asInt());
    assertEquals(0, json.at("/summary/flags/SHIFTED").asInt());
    assertEquals(4, json.at("/summary/flags").size());
    assertTrue(json.at("/summary/worst").isNull());
    assertEquals("domain", json.at("/by/0").asText());
    assertEquals("b", json.at("/keys/0/key/0").asText());
    assertEquals(1, json.at("/keys/0/summary/flags/SHIFTED").asInt());
    assertEquals(1, json.at("/keys/0/summary/worst/index").asInt());
    JsonNode shifted = json.at("/keys/0/channels/1");
    assertEquals("SHIFTED", shifted.at("/flags/0").asText());
    assertEquals(b.result().channels().get(1).meanShiftSd(), shifted.get("mean_shift_sd").asDouble());
    for (String field : List.of("index", "flags", "mean_shift_sd", "var_ratio", "psi", "ks", "ks_error", "wasserstein_sd",
        "out_of_range", "modes_reference", "modes_now", "severity", "modes_lost", "modes_new", "explanations")) {
      assertTrue(shifted.has(field), field);
    }
    String why = shifted.at("/explanations/SHIFTED").asText();
    assertTrue(why.startsWith("The mean moved " + CovariateShift.fmt(b.result().channels().get(1).meanShiftSd())
        + " reference standard deviations (z = "), why);
    assertTrue(json.at("/keys/1/unseen").asBoolean());
    assertTrue(json.at("/keys/1/summary").isNull());
    assertEquals(0, json.at("/keys/1/channels").size());
  }

  @Test
  void anUnseenKeyAloneDoesNotFailTheGate() {
    ProfileSet reference = new ProfileSet(List.of("domain"), profile(1, 2_000, 0),
        List.of(new ProfileSet.Keyed(List.of(1), profile(2, 2_000, 0))));
    ProfileSet now = new ProfileSet(List.of("domain"), profile(3, 2_000, 0),
        List.of(new ProfileSet.Keyed(List.of(1L), profile(4, 2_000, 0)), new ProfileSet.Keyed(List.of(2), profile(5, 2_000, 0))));
    ShiftSet set = CovariateShift.compare(reference, now);
    assertFalse(set.keys().get(0).unseen());
    assertTrue(set.keys().get(1).unseen());
    assertFalse(set.failsGate());
  }

  @Test
  void refusesProfilesOfOtherKeysOrShapes() {
    ProfileSet keyed = new ProfileSet(List.of("domain"), profile(1, 100, 0), List.of());
    ProfileSet plain = ProfileSet.of(profile(2, 100, 0));
    assertEquals("shift: the data is keyed by [] but the reference profile by [domain]",
        assertThrows(IllegalArgumentException.class, () -> CovariateShift.compare(keyed, plain)).getMessage());
    ChannelSketches other = new ChannelSketches(Shape.of(3, 2));
    other.update(new double[6]);
    assertEquals("shift: the data's shape (3,2) is not the reference profile's (3,)",
        assertThrows(IllegalArgumentException.class,
            () -> CovariateShift.compare(plain.all(), StatisticsProfile.of(other, null))).getMessage());
  }
}
