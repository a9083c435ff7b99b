package io.sparknorm.job;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.ChannelShift;
import io.sparknorm.core.ChannelSketches;
import io.sparknorm.core.CovariateShift;
import io.sparknorm.core.ProfileSet;
import io.sparknorm.core.Shape;
import io.sparknorm.core.ShiftResult;
import io.sparknorm.core.ShiftSet;
import io.sparknorm.core.StatisticsProfile;
import io.sparknorm.spark.StatisticsProfiles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * {@code --stream --shift-from PROFILE}: each micro-batch's input rows compared with the profile, channel by channel
 * ({@link CovariateShift}); the result goes to the micro-batch's progress line ({@code shifted=K}) and to
 * {@code --shift-out}, rewritten whole after each micro-batch with its {@code batch_id}. With {@code --fail-on-shift}
 * the first micro-batch with a channel SHIFTED or MODE_LOST stops the stream: the running-statistics path checks
 * before it writes the micro-batch (which is then not committed), the per-row path when Spark reports the micro-batch,
 * after its commit ({@link StreamShiftGate} holds the next micro-batch back until then).
 */
final class StreamShift {
  /** How long the next micro-batch waits for the report of the one before; far more than a comparison takes. */
  private static final long DECISION_TIMEOUT_MS = 120_000;

  private final String profileName;
  private final StatisticsProfile reference;
  private final Path shiftOut;
  private final boolean failOnShift;
  private final Configuration conf;
  /** Each micro-batch's result until its progress line takes it. */
  private final Map<Long, ShiftResult> results = new ConcurrentHashMap<>();

  // Guarded by this.
  private long firstBatch;
  private long decided = -1;
  private Stop stop;
  private RuntimeException broken;

  private StreamShift(String profileName, StatisticsProfile reference, Path shiftOut, boolean failOnShift,
      Configuration conf) {
    this.profileName = profileName;
    this.reference = reference;
    this.shiftOut = shiftOut;
    this.failOnShift = failOnShift;
    this.conf = conf;
  }

  /** The comparison the options ask for, with the profile read; null without {@code --shift-from}. */
  static StreamShift of(JobOptions o, Configuration conf) {
    ShiftOptions s = o.shift;
    if (s.shiftFrom == null) {
      return null;
    }
    ProfileSet profile;
    try {
      profile = StatisticsProfiles.read(s.shiftFrom, conf);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--shift-from: " + e.getMessage(), e);
    }
    return new StreamShift(s.shiftFrom, profile.all(), s.shiftOut == null ? null : new Path(s.shiftOut),
        s.failOnShift, conf);
  }

  /** Whether a shifted micro-batch stops the stream. */
  boolean failOnShift() {
    return failOnShift;
  }

  /**
   * Refuses a stream whose samples are not of the profile's shape, before anything is read.
   *
   * @throws IllegalArgumentException naming both shapes
   */
  void checkShape(Shape shape) {
    if (!reference.shape().equals(shape)) {
      throw new IllegalArgumentException("--shift-from " + profileName + " is a profile of shape "
          + reference.shape() + ", but the stream's samples have shape " + shape);
    }
  }

  /** The first micro-batch this run processes (the last committed one + 1): the ones before were decided earlier. */
  synchronized void startsAt(long batchId) {
    firstBatch = batchId;
  }

  /**
   * Compares micro-batch {@code batchId}'s sketches with the profile, keeps the result for its progress line and
   * rewrites {@code --shift-out}. {@code exact}: the micro-batch's exact statistics when it has them (its mean and
   * variance then are exact), else null. With {@code --fail-on-shift} and a channel SHIFTED or MODE_LOST, the stream
   * is to stop after this micro-batch ({@link #stop()}).
   *
   * @return whether the stream is to stop after this micro-batch
   */
  boolean compare(long batchId, ChannelSketches sketches, BatchStatistics exact) throws IOException {
    ShiftResult result = CovariateShift.compare(reference, StatisticsProfile.of(sketches, exact));
    results.put(batchId, result);
    if (shiftOut != null) {
      String json = ShiftSet.of(result).toJson().strip();
      String withBatch = "{\"batch_id\": " + batchId + ", " + json.substring(json.indexOf('{') + 1);
      byte[] bytes = (withBatch + "\n").getBytes(StandardCharsets.UTF_8);
      RunningStateStore.replace(shiftOut, conf, temporary -> {
        try (OutputStream out = temporary.getFileSystem(conf).create(temporary, false)) {
          out.write(bytes);
        }
      });
    }
    if (failOnShift && result.failsGate()) {
      synchronized (this) {
        if (stop == null) {
          stop = new Stop(batchId, result.flagged(), result.worst());
        }
      }
      return true;
    }
    return false;
  }

  /** Micro-batch {@code batchId} is decided (compared, or nothing to compare): the next may go on. */
  synchronized void decided(long batchId) {
    decided = Math.max(decided, batchId);
    notifyAll();
  }

  /** The comparison of micro-batch {@code batchId} failed: the stream stops with this failure. */
  synchronized void failed(long batchId, RuntimeException failure) {
    if (broken == null) {
      broken = failure;
    }
    decided(batchId);
  }

  /**
   * Waits until micro-batch {@code batchId} (one this run processes) is decided; fails when it stopped the stream.
   *
   * @throws StopException when it, or one before it, shifted with {@code --fail-on-shift}
   */
  synchronized void awaitDecision(long batchId) throws InterruptedException {
    if (batchId < firstBatch) {
      return;
    }
    long deadline = System.nanoTime() + DECISION_TIMEOUT_MS * 1_000_000;
    while (decided < batchId && stop == null && broken == null && System.nanoTime() < deadline) {
      wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
    }
    if (broken != null) {
      throw broken;
    }
    if (stop != null) {
      throw new StopException(stop);
    }
    if (decided < batchId) {
      throw new IllegalStateException("the covariate shift of micro-batch " + batchId + " was not reported in "
          + DECISION_TIMEOUT_MS / 1000 + " s: the stream stops rather than go on unchecked");
    }
  }

  /** The failure of a comparison the listener made, or null. */
  synchronized RuntimeException failure() {
    return broken;
  }

  /** The micro-batch that stopped the stream, or null. */
  synchronized Stop stop() {
    return stop;
  }

  /** The progress line's part for micro-batch {@code batchId}: {@code " shifted=K"} and the worst channel; or "". */
  String progress(long batchId) {
    ShiftResult result = results.remove(batchId);
    if (result == null) {
      return "";
    }
    ChannelShift worst = result.worst();
    return " shifted=" + result.flagged() + (worst == null ? "" : " worst=" + worst.index() + ":" + flags(worst));
  }

  private static String flags(ChannelShift channel) {
    return channel.flags().stream().map(Enum::name).collect(Collectors.toCollection(TreeSet::new)).stream()
        .collect(Collectors.joining(","));
  }

  /** The micro-batch that shifted, its channels flagged and the worst of them. */
  record Stop(long batchId, int flagged, ChannelShift worst) {
    /**
     * The error line's text. {@code committed}: whether the micro-batch was committed before the stop (the per-row
     * path, whose values Spark reports after the commit).
     */
    String message(String profile, boolean committed) {
      String figures = worst == null ? "" : String.format(Locale.ROOT, "channel %d is %s (mean_shift_sd=%s,"
          + " var_ratio=%s, psi=%s, ks=%s (error %s), wasserstein_sd=%s, out_of_range=%s)", worst.index(),
          flags(worst), g(worst.meanShiftSd()), g(worst.varRatio()), g(worst.psi()), g(worst.ks()),
          g(worst.ksError()), g(worst.wassersteinSd()), g(worst.outOfRange()));
      return "--fail-on-shift: micro-batch " + batchId + " shifted from profile " + profile + ": " + flagged
          + " channel" + (flagged == 1 ? "" : "s") + " flagged, the worst: " + figures + "; "
          + (committed ? "micro-batch " + batchId + " is committed, as are those before it (a per-row stream"
              + " commits a micro-batch before Spark reports its values), and the stream stopped after it; a restart"
              + " with the same --checkpoint goes on with the next"
              : "micro-batch " + batchId + " is not committed and the micro-batches before it stay committed; a"
              + " restart with the same --checkpoint runs micro-batch " + batchId + " again");
    }

    private static String g(double value) {
      return String.format(Locale.ROOT, "%.4g", value);
    }
  }

  /** Stops the stream at a shifted micro-batch (thrown inside Spark's query; the job reads {@link #stop}). */
  static final class StopException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StopException(Stop stop) {
      super("covariate shift in micro-batch " + stop.batchId() + " (--fail-on-shift)");
    }
  }

  /** The profile's file name, for messages. */
  String profileName() {
    return profileName;
  }
}
