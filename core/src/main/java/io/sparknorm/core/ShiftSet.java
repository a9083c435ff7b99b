package io.sparknorm.core;

import java.util.List;

/**
 * What {@code --shift-out} writes: the comparison of all rows and, with {@code --by}, of each key
 * against its own reference; a key the reference lacks is reported as unseen (no channels). JSON:
 * <pre>
 * {"summary": {"channels": N, "flagged": K, "flags": {"SHIFTED": n, "MODE_LOST": n, "MODE_NEW": n, "OUT_OF_RANGE": n},
 *              "worst": {"index": i, "flags": [...], "mean_shift_sd": .., ...}|null},
 *  "channels": [{"index": i, "flags": [...], "mean_shift_sd": .., "var_ratio": .., "psi": .., "ks": .., "ks_error": ..,
 *                "wasserstein_sd": .., "out_of_range": .., "modes_reference": n, "modes_now": n,
 *                "explanations": {"SHIFTED": "..."}}, ...],
 *  "by": [...], "keys": [{"key": [...], "unseen": false, "summary": {...}, "channels": [...]}, ...]}
 * </pre>
 * Each channel also has "severity" and the lists "modes_lost" and "modes_new" ({"location", "lo",
 * "hi", "mass"} each); an unseen key has "summary": null and no channels. Non-finite numbers are
 * the strings "NaN", "Infinity", "-Infinity".
 *
 * @param by the key columns, empty without --by
 * @param all all rows against the reference's all rows
 * @param keys per key seen now
 */
public record ShiftSet(List<String> by, ShiftResult all, List<Keyed> keys) {

  /** One key: its result, or null with unseen = true when the reference has no such key. */
  public record Keyed(List<Object> key, boolean unseen, ShiftResult result) {}

  public ShiftSet {
    by = List.copyOf(by);
    keys = List.copyOf(keys);
  }

  public static ShiftSet of(ShiftResult all) {
    return new ShiftSet(List.of(), all, List.of());
  }

  /**
   * Whether {@code --fail-on-shift} stops: a channel SHIFTED or MODE_LOST in all rows or in any key
   * compared. A key the reference lacks does not fail the gate by itself (it has nothing to be
   * compared with; it is reported as unseen, and its rows still count in all rows).
   */
  public boolean failsGate() {
    return all.failsGate() || keys.stream().anyMatch(k -> !k.unseen() && k.result().failsGate());
  }

  /** The JSON form above (one line). */
  public String toJson() {
    return ShiftJson.write(this);
  }
}
