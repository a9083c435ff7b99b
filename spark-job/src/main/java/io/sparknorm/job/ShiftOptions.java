package io.sparknorm.job;

import picocli.CommandLine.Option;

/** The covariate-shift options: a profile of the input, and the input compared with an earlier profile. */
final class ShiftOptions {

  @Option(names = "--profile-out", paramLabel = "FILE",
      description = "Write the input's profile (per channel: counts, mean, variance, min, max, modes and the KLL"
          + " sketch; per key too with --by) for a later --shift-from; only when the job succeeds. Taken in the pass"
          + " the job runs anyway: batch norm's statistics pass (its mean and variance exact, those of --stats-out),"
          + " else the write (mean and variance from the sketches). With --by, one more pass over the input for the"
          + " keys' profiles.")
  String profileOut;

  @Option(names = "--shift-from", paramLabel = "PROFILE",
      description = "Compare the input with this profile (an earlier --profile-out), per channel: flags SHIFTED,"
          + " MODE_LOST, MODE_NEW, OUT_OF_RANGE; with --by each key with its own (a key the profile lacks is reported"
          + " unseen). The summary line gains shifted=K: the channels flagged over all rows.")
  String shiftFrom;

  @Option(names = "--shift-out", paramLabel = "FILE.json",
      description = "With --shift-from: write the comparison (figures and flags per channel, and per key). Written"
          + " also when --fail-on-shift stops the job, to show why. On a --stream: rewritten after each micro-batch,"
          + " with its batch_id.")
  String shiftOut;

  @Option(names = "--fail-on-shift",
      description = "With --shift-from: exit 3 when a channel (of all rows or of a key) is SHIFTED or MODE_LOST,"
          + " with one error line naming the worst; nothing is written but --shift-out. Batch norm's fit decides"
          + " before writing; else files are written staged and withdrawn, and a table output (whose write is its"
          + " commit) takes one more pass over the input to decide first. With --stream: each micro-batch is"
          + " written as its own folder (as running statistics do), and the stream stops at the micro-batch that"
          + " shifted, which is never committed; those before it stay.")
  boolean failOnShift;

  /** Whether the run needs the input's profile: to write it, or to compare it. */
  boolean profiles() {
    return profileOut != null || shiftFrom != null;
  }

  /**
   * The rules that need no data.
   *
   * @throws IllegalArgumentException naming the option
   */
  void check() {
    if (shiftFrom == null && shiftOut != null) {
      throw new IllegalArgumentException("--shift-out writes the comparison with a profile: give --shift-from PROFILE");
    }
    if (shiftFrom == null && failOnShift) {
      throw new IllegalArgumentException("--fail-on-shift needs --shift-from PROFILE: the profile to compare the"
          + " input with");
    }
  }
}
