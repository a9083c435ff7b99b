package io.sparknorm.core;

import java.util.List;

/**
 * The file {@code --profile-out} writes and {@code --shift-from} reads: the profile of all rows
 * and, with {@code --by}, of each key's rows. The form is JSON, versioned:
 * <pre>
 * {"format": "sparknorm-profile", "version": 1, "shape": [C, ...], "k": 200, "moments": "exact"|"sketch",
 *  "channels": [{"index": 0, "count": .., "finite": .., "nans": .., "infinities": .., "zeros": ..,
 *                "mean": .., "var": .., "min": .., "max": ..,
 *                "modes": [{"location": .., "lo": .., "hi": .., "mass": ..}, ...],
 *                "kll": "base64 of KllDoublesSketch.toByteArray()"}, ...],
 *  "by": ["domain"],                                    (only with --by)
 *  "keys": [{"key": ["a"], "moments": .., "channels": [...]}, ...]}   (only with --by)
 * </pre>
 * Doubles are written so that they read back to the same bits (NaN and infinities as the strings
 * "NaN", "Infinity", "-Infinity"). Each channel also has "kurtosis" (non-excess, from the sketches'
 * moments; a reader takes a missing one as unknown). A key's integers read back as longs, its
 * other numbers as doubles; a non-finite double in a key is written as a string and reads back as
 * one.
 *
 * @param by the key columns, empty without --by
 * @param all the profile of all rows
 * @param keys per key (its values in the order of {@code by}: strings, longs, doubles, booleans or null), in the
 *     order written
 */
public record ProfileSet(List<String> by, StatisticsProfile all, List<Keyed> keys) {

  /** One key's profile. */
  public record Keyed(List<Object> key, StatisticsProfile profile) {}

  /** The format's version; a reader refuses a newer one. */
  public static final int VERSION = 1;

  public ProfileSet {
    by = List.copyOf(by);
    keys = List.copyOf(keys);
  }

  /** Without keys. */
  public static ProfileSet of(StatisticsProfile all) {
    return new ProfileSet(List.of(), all, List.of());
  }

  /**
   * The profile of this key, or null when the reference had no such key. Values match by value:
   * integers of any width as longs (JSON reads them back as Long), floats as doubles.
   */
  public StatisticsProfile key(List<Object> key) {
    List<Object> wanted = normalized(key);
    for (Keyed keyed : keys) {
      if (normalized(keyed.key()).equals(wanted)) {
        return keyed.profile();
      }
    }
    return null;
  }

  /** A key with Integer, Short and Byte as Long and Float as Double, so that equal values are equal keys. */
  static List<Object> normalized(List<Object> key) {
    List<Object> out = new java.util.ArrayList<>(key.size());
    for (Object v : key) {
      if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
        out.add(((Number) v).longValue());
      } else if (v instanceof Float f) {
        out.add(f.doubleValue());
      } else {
        out.add(v);
      }
    }
    return out;
  }

  /** The JSON form above (one line). */
  public String toJson() {
    return ProfileJson.write(this);
  }

  /**
   * Reads {@link #toJson()}'s form.
   *
   * @throws ProfileFormatException naming what is wrong (not JSON, another format, a newer version, a
   *     missing or malformed field with its channel)
   */
  public static ProfileSet fromJson(String json) {
    return ProfileJson.read(json);
  }
}
