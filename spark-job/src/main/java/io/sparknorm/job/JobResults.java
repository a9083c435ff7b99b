package io.sparknorm.job;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * Where a run's results go: the output, the statistics file, the report, the profile and the
 * comparison with a profile, each written to a hidden staging location first ({@link StagedOutput})
 * and moved into place only when the whole run has succeeded, so that a failed run leaves nothing
 * at any of them. The one exception is {@code --fail-on-shift}'s refusal, which commits the
 * comparison alone ({@link #commitShiftOnly}): it says why nothing else was kept.
 *
 * <p>Staged before any data is read: a location that exists (without {@code --overwrite}) or
 * cannot be written fails the run in seconds. Closing takes away whatever was not committed.
 */
final class JobResults implements AutoCloseable {
  private final boolean overwrite;
  private final StagedOutput output;
  private final StagedOutput stats;
  private final StagedOutput report;
  private final StagedOutput profile;
  private final StagedOutput shift;

  private JobResults(boolean overwrite, StagedOutput output, StagedOutput stats, StagedOutput report,
      StagedOutput profile, StagedOutput shift) {
    this.overwrite = overwrite;
    this.output = output;
    this.stats = stats;
    this.report = report;
    this.profile = profile;
    this.shift = shift;
  }

  /**
   * Stages every location the options name (none for an absent option), once they are known to lie apart. A Delta
   * output is not staged here: Delta's commit is its atomic step ({@link DeltaOutput}); the statistics file and the
   * report may then lie inside the table's folder, e.g. {@code TABLE/_sparknorm/stats.json}, which Delta ignores.
   */
  static JobResults stage(JobOptions options, Configuration conf) throws IOException {
    boolean delta = options.deltaOutput();
    checkApart(options, conf, delta);
    String unique = UUID.randomUUID().toString();
    List<StagedOutput> staged = new ArrayList<>();
    try {
      StagedOutput output = stage(delta ? null : options.output, "output", unique, options.overwrite, conf, staged);
      StagedOutput stats = stage(options.statsOut, "stats-out", unique, options.overwrite, conf, staged);
      StagedOutput report = stage(options.report, "report", unique, options.overwrite, conf, staged);
      StagedOutput profile = stage(options.shift.profileOut, "profile-out", unique, options.overwrite, conf, staged);
      StagedOutput shift = stage(options.shift.shiftOut, "shift-out", unique, options.overwrite, conf, staged);
      return new JobResults(options.overwrite, output, stats, report, profile, shift);
    } catch (IOException | RuntimeException e) {
      staged.forEach(StagedOutput::abort);
      throw e;
    }
  }

  /**
   * Each result is moved into place as a whole: one at another's path would fail with its hidden staging name, one
   * inside another would be replaced by it. Compared as the file system qualifies them ({@code ./o} is {@code o}).
   */
  private static void checkApart(JobOptions options, Configuration conf, boolean deltaOutput) throws IOException {
    String[] names = {"--output", "--stats-out", "--report", "--profile-out", "--shift-out"};
    String[] locations = {options.output, options.statsOut, options.report, options.shift.profileOut,
        options.shift.shiftOut};
    Path[] paths = new Path[locations.length];
    for (int i = 0; i < locations.length; i++) {
      if (locations[i] != null) {
        Path path = new Path(locations[i]);
        paths[i] = path.getFileSystem(conf).makeQualified(path);
      }
    }
    for (int later = 1; later < paths.length; later++) {
      for (int earlier = 0; earlier < later; earlier++) {
        if (paths[later] == null || paths[earlier] == null) {
          continue;
        }
        if (paths[later].equals(paths[earlier])) {
          throw new IllegalArgumentException(names[later] + " and " + names[earlier] + " are the same path ("
              + paths[later] + ")");
        }
        int inner = isInside(paths[later], paths[earlier]) ? later : isInside(paths[earlier], paths[later]) ? earlier
            : -1;
        int outer = inner == later ? earlier : later;
        // A Delta table is committed in place, not moved: files inside its folder stay where they are.
        if (inner >= 0 && !(deltaOutput && outer == 0)) {
          throw new IllegalArgumentException(names[inner] + " " + paths[inner] + " is inside " + names[outer] + " "
              + paths[outer] + ", which the job moves into place as a whole: give a path outside it");
        }
      }
    }
  }

  private static boolean isInside(Path path, Path folder) {
    for (Path parent = path.getParent(); parent != null; parent = parent.getParent()) {
      if (parent.equals(folder)) {
        return true;
      }
    }
    return false;
  }

  private static StagedOutput stage(String location, String option, String unique, boolean overwrite,
      Configuration conf, List<StagedOutput> staged) throws IOException {
    if (location == null) {
      return null;
    }
    Path path = new Path(location);
    if (path.getFileSystem(conf).exists(path) && !overwrite) {
      throw new IllegalArgumentException(option + " " + location + " already exists; give --overwrite to replace it");
    }
    StagedOutput result = new StagedOutput(path, unique, conf, option + " " + location);
    staged.add(result);
    result.checkWritable();
    return result;
  }

  /** Where the output is written, or null without --output. */
  Path output() {
    return output == null ? null : output.staging();
  }

  /** Where the statistics file is written, or null without --stats-out. */
  Path stats() {
    return stats == null ? null : stats.staging();
  }

  /** Where the report is written, or null without --report. */
  Path report() {
    return report == null ? null : report.staging();
  }

  /** Where the profile is written, or null without --profile-out. */
  Path profile() {
    return profile == null ? null : profile.staging();
  }

  /** Where the comparison with --shift-from's profile is written, or null without --shift-out. */
  Path shift() {
    return shift == null ? null : shift.staging();
  }

  /**
   * Success: moves each result into place, the output first (of two jobs racing for it, the loser
   * fails here), then the statistics file, the report, the profile and the comparison; when one
   * cannot be moved, the ones already moved are taken away again.
   */
  void commit() throws IOException {
    List<StagedOutput> committed = new ArrayList<>();
    for (StagedOutput result : all()) {
      if (result == null) {
        continue;
      }
      try {
        result.commit(overwrite);
        committed.add(result);
      } catch (IOException | RuntimeException e) {
        committed.forEach(StagedOutput::withdraw);
        throw e;
      }
    }
  }

  /**
   * {@code --fail-on-shift} refused the data: moves the comparison alone into place (when
   * {@code --shift-out} was given), for the user to see why; {@link #close} takes the rest away.
   */
  void commitShiftOnly() throws IOException {
    if (shift != null) {
      shift.commit(overwrite);
    }
  }

  private StagedOutput[] all() {
    return new StagedOutput[] {output, stats, report, profile, shift};
  }

  /** Takes away every staging location not committed. */
  @Override
  public void close() {
    for (StagedOutput result : all()) {
      if (result != null) {
        result.abort();
      }
    }
  }
}
