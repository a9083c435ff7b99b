package io.sparknorm.report;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.ChannelProfile;
import io.sparknorm.core.ChannelShift;
import io.sparknorm.core.ChannelSketches;
import io.sparknorm.core.NormMethod;
import io.sparknorm.core.Shape;
import io.sparknorm.core.ShiftFlag;
import io.sparknorm.core.ShiftResult;
import io.sparknorm.core.StatisticsProfile;
import io.sparknorm.spark.NormalizationResult;
import io.sparknorm.spark.NormalizeSpec;
import io.sparknorm.spark.StatisticsReport;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A report of 16 channels (a 4 x 4 picture) compared with a reference, through {@link StatisticsReport#build} from
 * real {@link ChannelSketches}: every channel N(5, 1) in the reference, except channel {@link #BIMODAL} (half at 2, half
 * at 14); now channel {@link #MOVED} moved by 2 reference std (SHIFTED), channel {@link #WIDENED} twice as wide
 * (SHIFTED, OUT_OF_RANGE) and channel {@link #BIMODAL} without its mode at 14 (MODE_LOST); the others drawn again from
 * the same distribution. The comparison's figures are computed exactly from the values here (the page shows what it
 * is given); its flags are the planted ones.
 */
final class SyntheticShift {
  static final int CHANNELS = 16;
  static final int VALUES = 2000;
  static final int MOVED = 3;
  static final int WIDENED = 7;
  static final int BIMODAL = 12;

  final double[][] reference = new double[CHANNELS][];
  final double[][] now = new double[CHANNELS][];
  final ChannelSketches referenceSketches = new ChannelSketches(Shape.of(CHANNELS));
  final ChannelSketches nowSketches = new ChannelSketches(Shape.of(CHANNELS));
  final List<ChannelShift> shifts = new ArrayList<>();
  final Report report;

  SyntheticShift() {
    Random random = new Random(28);
    for (int c = 0; c < CHANNELS; c++) {
      reference[c] = new double[VALUES];
      now[c] = new double[VALUES];
      for (int i = 0; i < VALUES; i++) {
        reference[c][i] = c == BIMODAL ? (i % 2 == 0 ? 2 : 14) + 0.5 * random.nextGaussian() : 5 + random.nextGaussian();
        double fresh = c == BIMODAL ? 2 + 0.5 * random.nextGaussian() : 5 + random.nextGaussian();
        now[c][i] = c == MOVED ? fresh + 2 : c == WIDENED ? 5 + 2 * (fresh - 5) : fresh;
      }
    }
    for (int i = 0; i < VALUES; i++) {
      double[] r = new double[CHANNELS];
      double[] n = new double[CHANNELS];
      for (int c = 0; c < CHANNELS; c++) {
        r[c] = reference[c][i];
        n[c] = now[c][i];
      }
      referenceSketches.update(r);
      nowSketches.update(n);
    }
    List<ChannelProfile> profiles = new ArrayList<>();
    for (int c = 0; c < CHANNELS; c++) {
      profiles.add(new ChannelProfile(c, VALUES, VALUES, 0, 0, 0, referenceSketches.mean(c),
          referenceSketches.variance(c), referenceSketches.min(c), referenceSketches.max(c), List.of(),
          referenceSketches.sketch(c)));
      shifts.add(compare(c));
    }
    StatisticsProfile profile = new StatisticsProfile(Shape.of(CHANNELS), referenceSketches.k(), false, profiles);
    report = StatisticsReport.build(new NormalizeSpec(NormMethod.BATCH).shape(Shape.of(CHANNELS)), Shape.of(CHANNELS),
        nowSketches, null, statistics(), new StatisticsReport.Run("now.parquet", null, null,
            new NormalizationResult.Counts(VALUES, 0, 0), 1.0), null,
        new StatisticsReport.Shift(profile, new ShiftResult(shifts)));
  }

  /** The channels planted, in index order. */
  static List<Integer> planted() {
    return List.of(MOVED, WIDENED, BIMODAL);
  }

  private BatchStatistics statistics() {
    double[] mean = new double[CHANNELS];
    double[] var = new double[CHANNELS];
    for (int c = 0; c < CHANNELS; c++) {
      mean[c] = nowSketches.mean(c);
      var[c] = nowSketches.variance(c);
    }
    return new BatchStatistics(Shape.of(CHANNELS), VALUES, mean, var, var);
  }

  private ChannelShift compare(int c) {
    double[] r = reference[c].clone();
    double[] n = now[c].clone();
    Arrays.sort(r);
    Arrays.sort(n);
    double refMean = Arrays.stream(r).average().orElseThrow();
    double refStd = Math.sqrt(Arrays.stream(r).map(v -> (v - refMean) * (v - refMean)).sum() / VALUES);
    double nowMean = Arrays.stream(n).average().orElseThrow();
    double nowVar = Arrays.stream(n).map(v -> (v - nowMean) * (v - nowMean)).sum() / VALUES;
    double ks = 0;
    double w1 = 0;
    for (int i = 0; i < VALUES; i++) {
      ks = Math.max(ks, Math.abs(rank(r, n[i]) - (i + 1.0) / VALUES));
      w1 += Math.abs(r[i] - n[i]) / VALUES;
    }
    long outside = Arrays.stream(n).filter(v -> v < r[0] || v > r[VALUES - 1]).count();
    Set<ShiftFlag> flags = EnumSet.noneOf(ShiftFlag.class);
    Map<ShiftFlag, String> why = new EnumMap<>(ShiftFlag.class);
    if (c == MOVED || c == WIDENED) {
      flags.add(ShiftFlag.SHIFTED);
      why.put(ShiftFlag.SHIFTED, "KS " + ks + " above 0.1");
    }
    if (c == WIDENED) {
      flags.add(ShiftFlag.OUT_OF_RANGE);
      why.put(ShiftFlag.OUT_OF_RANGE, outside + " values outside the reference's range");
    }
    if (c == BIMODAL) {
      flags.add(ShiftFlag.MODE_LOST);
      why.put(ShiftFlag.MODE_LOST, "the mode at 14 held 50% of the values, now 0%");
    }
    return new ChannelShift(c, flags, why, (nowMean - refMean) / refStd, nowVar / (refStd * refStd), 0.01 * c, ks,
        0.0165, w1 / refStd, outside / (double) VALUES, List.of(), List.of(), List.of(), List.of(), ks / 0.1);
  }

  /** The fraction of the sorted values at or below x. */
  private static double rank(double[] sorted, double x) {
    int lo = 0;
    int hi = sorted.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (sorted[mid] <= x) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo / (double) sorted.length;
  }

  /** The flagged channel of the largest KS (severity here is KS / 0.1). */
  int worst() {
    return shifts.stream().filter(ChannelShift::flagged).max((a, b) -> Double.compare(a.severity(), b.severity()))
        .orElseThrow().index();
  }
}
