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
 * the first micro-batch with a channel SHIFTED or MODE_LOST stops the stream before it is written, so that it is not
 * committed: both paths then run as foreachBatch functions ({@link RunningStatisticsBatches},
 * {@link ShiftGatedBatches}); without it, the per-row path compares when Spark reports the micro-batch's observed
 * sketches ({@link StreamProgress}).
 */
final class StreamShift {
  private final String profileName;
  private final StatisticsProfile reference;
  private final Path shiftOut;
  private final boolean failOnShift;
  private final Configuration conf;
  /** Each micro-batch's result until its progress line takes it. */
  private final Map<Long, ShiftResult> results = new ConcurrentHashMap<>();

  // Guarded by this.
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

  /** The comparison of micro-batch {@code batchId}, made by the listener, failed: the stream stops with it. */
  synchronized void failed(long batchId, RuntimeException failure) {
    if (broken == null) {
      broken = failure;
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
    /** The error line's text. */
    String message(String profile) {
      String figures = worst == null ? "" : String.format(Locale.ROOT, "channel %d is %s (mean_shift_sd=%s,"
          + " var_ratio=%s, psi=%s, ks=%s (error %s), wasserstein_sd=%s, out_of_range=%s)", worst.index(),
          flags(worst), g(worst.meanShiftSd()), g(worst.varRatio()), g(worst.psi()), g(worst.ks()),
          g(worst.ksError()), g(worst.wassersteinSd()), g(worst.outOfRange()));
      return "--fail-on-shift: micro-batch " + batchId + " shifted from profile " + profile + ": " + flagged
          + " channel" + (flagged == 1 ? "" : "s") + " flagged, the worst: " + figures + "; "
          + "micro-batch " + batchId + " is not committed and the micro-batches before it stay committed; a restart"
          + " with the same --checkpoint runs micro-batch " + batchId + " again";
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
