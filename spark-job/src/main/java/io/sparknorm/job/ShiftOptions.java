package io.sparknorm.job;

import picocli.CommandLine.Option;

/** The covariate-shift options: a profile of the input, and the input compared with an earlier profile. */
final class ShiftOptions {

  @Option(names = "--profile-out", paramLabel = "FILE",
      description = "Write the input's profile (per channel, and per --by key: counts, mean, variance, min, max,"
          + " modes and the KLL sketch) for a later --shift-from; only when the job succeeds.")
  String profileOut;

  @Option(names = "--shift-from", paramLabel = "PROFILE",
      description = "Compare the input with this profile, per channel: flags SHIFTED, MODE_LOST, MODE_NEW,"
          + " OUT_OF_RANGE; the summary line gains shifted=K.")
  String shiftFrom;

  @Option(names = "--shift-out", paramLabel = "FILE.json", description = "With --shift-from: write the comparison.")
  String shiftOut;

  @Option(names = "--fail-on-shift",
      description = "With --shift-from: exit 3, committing nothing, when a channel is SHIFTED or MODE_LOST.")
  boolean failOnShift;
}
