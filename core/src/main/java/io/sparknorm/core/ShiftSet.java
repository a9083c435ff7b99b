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

  /** Channels flagged in all rows or in any key (the summary line's shifted=K counts all rows' channels). */
  public boolean failsGate() {
    throw new UnsupportedOperationException("TODO");
  }

  public String toJson() {
    throw new UnsupportedOperationException("TODO");
  }
}
