package io.sparknorm.job;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.ChannelShift;
import io.sparknorm.core.ChannelSketches;
import io.sparknorm.core.CovariateShift;
import io.sparknorm.core.ProfileFormatException;
import io.sparknorm.core.ProfileSet;
import io.sparknorm.core.Shape;
import io.sparknorm.core.ShiftSet;
import io.sparknorm.core.StatisticsProfile;
import io.sparknorm.spark.NormalizeSpec;
import io.sparknorm.spark.StatisticsProfiles;
import io.sparknorm.spark.StatisticsReport;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * The job's covariate shift ({@link ShiftOptions}): the reference profile read before any data,
 * the input's profile once a pass has made it, the comparison of the two, the gate of
 * {@code --fail-on-shift} and what the summary line says of it.
 */
final class JobShift {
  private final ShiftOptions options;
  private final List<String> by;
  private final ProfileSet reference;
  private ProfileSet now;
  private ShiftSet shift;

  private JobShift(ShiftOptions options, List<String> by, ProfileSet reference) {
    this.options = options;
    this.by = by;
    this.reference = reference;
  }

  /**
   * Reads {@code --shift-from}'s profile (before any data is read, so a wrong file fails in
   * seconds) and checks that it was made with the same {@code --by} as this run.
   *
   * @throws IllegalArgumentException naming the file, and both --by when they differ
   */
  static JobShift start(ShiftOptions options, NormalizeSpec spec, Configuration conf) {
    List<String> by = spec.by() == null ? List.of() : spec.by();
    ProfileSet reference = null;
    if (options.shiftFrom != null) {
      reference = read(options.shiftFrom, conf);
      if (!reference.by().equals(by)) {
        throw new IllegalArgumentException("--shift-from " + options.shiftFrom + ": the profile is " + byText(
            reference.by()) + ", this run " + byText(by) + "; compare with a profile made with the same --by");
      }
    }
    return new JobShift(options, by, reference);
  }

  /** The profile file, or an error naming the option and the file (missing, unreadable, not a profile). */
  private static ProfileSet read(String file, Configuration conf) {
    try {
      return StatisticsProfiles.read(file, conf);
    } catch (ProfileFormatException e) {
      throw new IllegalArgumentException("--shift-from: " + e.getMessage(), e);
    }
  }

  private static String byText(List<String> columns) {
    return columns.isEmpty() ? "without --by" : "by " + String.join(",", columns);
  }

  /** Whether the run makes the input's profile: to write it, or to compare it. */
  boolean wanted() {
    return options.profiles();
  }

  /** Whether the input's profile is made already. */
  boolean profiled() {
    return now != null;
  }

  /**
   * Fails before the data's pass when the reference's shape is not the data's.
   *
   * @throws IllegalArgumentException naming both shapes
   */
  void checkShape(Shape shape) {
    if (reference != null && !reference.all().shape().equals(shape)) {
      throw new IllegalArgumentException("--shift-from " + options.shiftFrom + ": the profile's shape is "
          + reference.all().shape() + " but the data's is " + shape + "; compare with a profile of data of the same"
          + " shape");
    }
  }

  /** The input's profile is made: compares it with the reference, when one was given. */
  void profiled(ProfileSet profile) {
    now = profile;
    if (reference != null) {
      shift = CovariateShift.compare(reference, profile);
    }
  }

  /**
   * The input's profile of all rows is made from the input's sketches, with {@code exact}'s mean
   * and var when not null (batch norm's statistics fitted over the same rows).
   */
  void profiled(ChannelSketches sketches, BatchStatistics exact) {
    profiled(ProfileSet.of(StatisticsProfile.of(sketches, exact)));
  }

  /** Whether {@code --fail-on-shift} stops the run: a channel SHIFTED or MODE_LOST, over all rows or in a key. */
  boolean failsGate() {
    return options.failOnShift && shift != null && shift.failsGate();
  }

  /**
   * The error line of {@link #failsGate()} (without "error: "): the worst channel that fails the
   * gate, its key when it is a key's, its flags and figures, and that nothing was written.
   */
  String refusal() {
    ChannelShift worst = null;
    List<Object> worstKey = null;
    int failing = 0;
    for (ChannelShift channel : shift.all().channels()) {
      if (channel.failsGate()) {
        failing++;
        if (worst == null || channel.severity() > worst.severity()) {
          worst = channel;
        }
      }
    }
    for (ShiftSet.Keyed keyed : shift.keys()) {
      if (keyed.result() == null) {
        continue;
      }
      for (ChannelShift channel : keyed.result().channels()) {
        if (channel.failsGate()) {
          failing++;
          if (worst == null || channel.severity() > worst.severity()) {
            worst = channel;
            worstKey = keyed.key();
          }
        }
      }
    }
    String kept = options.shiftOut == null ? "nothing was written"
        : "nothing was written but the comparison, at --shift-out " + options.shiftOut;
    if (worst == null) {
      return "covariate shift beyond --fail-on-shift's thresholds (against --shift-from " + options.shiftFrom + "); "
          + kept;
    }
    String flags = worst.flags().stream().map(Enum::name).sorted().collect(Collectors.joining(","));
    return String.format(Locale.ROOT, "covariate shift: channel %d%s is %s (mean_shift_sd=%.4g var_ratio=%.4g"
        + " psi=%.4g ks=%.4g against --shift-from %s); channels that fail --fail-on-shift (SHIFTED or MODE_LOST):"
        + " %d%s, this the worst; %s", worst.index(), worstKey == null ? "" : " of key " + describe(worstKey), flags,
        worst.meanShiftSd(), worst.varRatio(), worst.psi(), worst.ks(), options.shiftFrom, failing,
        shift.keys().isEmpty() ? "" : " over all rows and keys", kept);
  }

  /** How a key reads in messages: {@code site='a', year=2024}. */
  private String describe(List<Object> key) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < key.size(); i++) {
      Object value = key.get(i);
      text.append(i == 0 ? "" : ", ").append(by.get(i)).append('=')
          .append(value instanceof String s ? "'" + s + "'" : String.valueOf(value));
    }
    return text.toString();
  }

  /** Writes the profile and the comparison that the options ask for, to their staging paths (null: not asked). */
  void write(Path profileFile, Path shiftFile, Configuration conf) {
    if (profileFile != null) {
      StatisticsProfiles.write(now, profileFile.toString(), conf);
    }
    writeShift(shiftFile, conf);
  }

  /** Writes the comparison to its staging path (null: not asked). */
  void writeShift(Path shiftFile, Configuration conf) {
    if (shiftFile != null) {
      StatisticsProfiles.writeShift(shift, shiftFile.toString(), conf);
    }
  }

  /** What the summary line gains: {@code " shifted=K"} (channels flagged over all rows) with --shift-from, else "". */
  String summary() {
    return shift == null ? "" : " shifted=" + shift.all().flagged();
  }

  /** All rows compared with the reference's profile of all rows, for the report; null without --shift-from. */
  StatisticsReport.Shift forReport() {
    return shift == null ? null : new StatisticsReport.Shift(reference.all(), shift.all());
  }
}
