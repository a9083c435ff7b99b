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
 * "NaN", "Infinity", "-Infinity").
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

  /** The profile of this key, or null when the reference had no such key. */
  public StatisticsProfile key(List<Object> key) {
    throw new UnsupportedOperationException("TODO");
  }

  public String toJson() {
    throw new UnsupportedOperationException("TODO");
  }

  /**
   * Reads {@link #toJson()}'s form.
   *
   * @throws ProfileFormatException naming what is wrong (not JSON, another format, a newer version, a
   *     missing or malformed field with its channel)
   */
  public static ProfileSet fromJson(String json) {
    throw new UnsupportedOperationException("TODO");
  }
}
