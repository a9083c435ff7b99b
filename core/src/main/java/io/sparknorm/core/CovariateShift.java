package io.sparknorm.core;

import static io.sparknorm.core.ShiftThresholds.ALPHA;
import static io.sparknorm.core.ShiftThresholds.KS;
import static io.sparknorm.core.ShiftThresholds.MASS_FLOOR;
import static io.sparknorm.core.ShiftThresholds.MEAN_SHIFT_SD;
import static io.sparknorm.core.ShiftThresholds.MODE_KEPT;
import static io.sparknorm.core.ShiftThresholds.OUT_OF_RANGE;
import static io.sparknorm.core.ShiftThresholds.PSI_MAJOR;
import static io.sparknorm.core.ShiftThresholds.PSI_MODERATE;
import static io.sparknorm.core.ShiftThresholds.VAR_RATIO;
import static io.sparknorm.core.ShiftThresholds.Z;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Compares data with a reference profile, channel by channel: the figures of {@link ChannelShift}
 * and the flags of {@link ShiftFlag}, at the thresholds of {@link ShiftThresholds}. Each flag
 * needs a material change (its figure past its bound) that is also significant given both counts
 * and the sketches' error:
 * <ul>
 *   <li>SHIFTED, any of: |mean shift| &ge; {@value ShiftThresholds#MEAN_SHIFT_SD} reference
 *       standard deviations with z = (mean now - mean ref) / sqrt(var ref / n ref + var now / n now)
 *       &ge; {@value ShiftThresholds#Z}; the variance ratio outside [1 / {@value ShiftThresholds#VAR_RATIO},
 *       {@value ShiftThresholds#VAR_RATIO}] with |ln ratio| &ge; Z standard errors, sqrt((kurt - 1)
 *       (1 / n ref + 1 / n now)) (kurt the larger of the two kurtoses, each at most (max - min)^2 / var,
 *       which bounds any distribution's); PSI &ge; {@value ShiftThresholds#PSI_MAJOR} and above its
 *       chance level (chi-square with bins - 1 degrees of freedom at {@link ShiftThresholds#ALPHA}, times
 *       1 / n ref + 1 / n now); KS &ge; max({@value ShiftThresholds#KS}, the two-sample critical value at
 *       ALPHA) + ks_error. A constant side (variance 0) is compared by counts instead: the values of
 *       the other side apart from its one value are significant when so many would all land on one
 *       side by chance with probability below ALPHA.</li>
 *   <li>MODE_LOST: a reference mode's mass now over its [lo, hi] below {@value ShiftThresholds#MODE_KEPT}
 *       of its mass, the drop at least Z standard errors of the two masses plus both sketches' error
 *       of a mass ({@link ChannelProfile#massError}). MODE_NEW: the same with the roles exchanged, for
 *       each mode now.</li>
 *   <li>OUT_OF_RANGE: the share outside [min ref, max ref] above {@value ShiftThresholds#OUT_OF_RANGE}
 *       plus the sketch's rank error, and more values than would fall beyond the reference's
 *       extremes by chance (probability below ALPHA).</li>
 * </ul>
 * A channel without finite values on either side gets NaN figures and no flags.
 */
public final class CovariateShift {
  private CovariateShift() {}

  /** One channel now against the same channel of the reference. */
  public static ChannelShift compare(ChannelProfile reference, ChannelProfile now) {
    if (reference.finite() == 0 || now.finite() == 0) {
      double nan = Double.NaN;
      return new ChannelShift(now.index(), Set.of(), Map.of(), nan, nan, nan, nan, nan, nan, nan, reference.modes(),
          now.modes(), List.of(), List.of(), 0);
    }
    double nRef = reference.finite();
    double nNow = now.finite();
    double std = stdFloor(reference);
    double diff = now.mean() - reference.mean();
    double meanShift = diff == 0 ? 0 : diff / std;
    boolean refConstant = reference.var() == 0;
    boolean nowConstant = now.var() == 0;
    double varRatio = refConstant && nowConstant ? 1 : now.var() / (std * std);
    double[] ksw = ShiftDistances.ksAndWasserstein(reference, now);
    double ks = ksw[0];
    double ksError = reference.rankError() + now.rankError();
    double wasserstein = ksw[1] / std;
    double[] psiBins = ShiftDistances.psi(reference, now);
    double psi = psiBins[0];
    double outOfRange = Math.max(0, now.rankBelow(reference.min()) + 1 - now.rank(reference.max()));

    Map<ShiftFlag, String> why = new EnumMap<>(ShiftFlag.class);
    double severity = 0;
    List<String> shifted = new ArrayList<>();
    // The mean.
    double se = Math.sqrt(reference.var() / nRef + now.var() / nNow);
    double z = diff == 0 ? 0 : Math.abs(diff) / se;
    if (z >= Z) {
      double ratio = Math.abs(meanShift) / MEAN_SHIFT_SD;
      severity = Math.max(severity, ratio);
      if (ratio >= 1) {
        shifted.add("the mean moved " + fmt(meanShift) + " reference standard deviations (z = " + fmt(z) + ")");
      }
    }
    // The variance.
    if (!(refConstant && nowConstant) && varianceSignificant(reference, now)) {
      double ratio = Math.abs(Math.log(Math.max(varRatio, Double.MIN_NORMAL))) / Math.log(VAR_RATIO);
      severity = Math.max(severity, ratio);
      if (ratio >= 1) {
        shifted.add("the variance ratio is " + fmt(varRatio) + " (bounds " + fmt(1 / VAR_RATIO) + " and "
            + fmt(VAR_RATIO) + ")");
      }
    }
    // PSI.
    double psiChance = chiSquareQuantile(psiBins[1] - 1) * (1 / nRef + 1 / nNow);
    if (psi > psiChance) {
      double ratio = psi / PSI_MAJOR;
      severity = Math.max(severity, ratio);
      if (ratio >= 1) {
        shifted.add("PSI " + fmt(psi) + " is past the major bound " + fmt(PSI_MAJOR) + " (moderate: " + fmt(PSI_MODERATE)
            + ")");
      }
    }
    // KS.
    double ksBound = Math.max(KS, Math.sqrt(-Math.log(ALPHA / 2) / 2 * (1 / nRef + 1 / nNow))) + ksError;
    double ksRatio = ks / ksBound;
    severity = Math.max(severity, ksRatio);
    if (ksRatio >= 1) {
      shifted.add("the Kolmogorov-Smirnov distance is " + fmt(ks) + " (bound " + fmt(ksBound) + " with the sketches' error "
          + fmt(ksError) + ")");
    }
    Set<ShiftFlag> flags = EnumSet.noneOf(ShiftFlag.class);
    if (!shifted.isEmpty()) {
      flags.add(ShiftFlag.SHIFTED);
      why.put(ShiftFlag.SHIFTED, capitalized(String.join("; ", shifted)) + ".");
    }
    // Out of range.
    double outside = (outOfRange - now.rankError()) * nNow;
    if (outside > 0 && byChance(outside, nNow, nRef) < ALPHA) {
      double ratio = outOfRange / (OUT_OF_RANGE + now.rankError());
      severity = Math.max(severity, ratio);
      if (ratio >= 1) {
        flags.add(ShiftFlag.OUT_OF_RANGE);
        why.put(ShiftFlag.OUT_OF_RANGE, "A share of " + fmt(outOfRange) + " of the values lies outside the reference's ["
            + fmt(reference.min()) + ", " + fmt(reference.max()) + "] (bound " + fmt(OUT_OF_RANGE + now.rankError())
            + ").");
      }
    }
    // Modes.
    List<Mode> lost = new ArrayList<>();
    List<String> lostWhy = new ArrayList<>();
    for (Mode m : reference.modes()) {
      double before = reference.mass(m.lo(), m.hi());
      double after = now.mass(m.lo(), m.hi());
      double ratio = modeRatio(before, after, nRef, nNow, reference.massError() + now.massError());
      severity = Math.max(severity, ratio);
      if (ratio >= 1) {
        lost.add(m);
        lostWhy.add("the mode at " + fmt(m.location()) + " holds " + fmt(after) + " of the values in [" + fmt(m.lo())
            + ", " + fmt(m.hi()) + "], the reference " + fmt(before));
      }
    }
    List<Mode> gained = new ArrayList<>();
    List<String> gainedWhy = new ArrayList<>();
    for (Mode m : now.modes()) {
      double after = now.mass(m.lo(), m.hi());
      double before = reference.mass(m.lo(), m.hi());
      double ratio = modeRatio(after, before, nNow, nRef, reference.massError() + now.massError());
      severity = Math.max(severity, ratio);
      if (ratio >= 1) {
        gained.add(m);
        gainedWhy.add("a mode at " + fmt(m.location()) + " holds " + fmt(after) + " of the values in [" + fmt(m.lo())
            + ", " + fmt(m.hi()) + "], the reference " + fmt(before));
      }
    }
    if (!lost.isEmpty()) {
      flags.add(ShiftFlag.MODE_LOST);
      why.put(ShiftFlag.MODE_LOST, capitalized(String.join("; ", lostWhy)) + " (kept below " + fmt(MODE_KEPT) + ").");
    }
    if (!gained.isEmpty()) {
      flags.add(ShiftFlag.MODE_NEW);
      why.put(ShiftFlag.MODE_NEW, capitalized(String.join("; ", gainedWhy)) + " (below " + fmt(MODE_KEPT) + " of it).");
    }
    return new ChannelShift(now.index(), flags, why, meanShift, varRatio, psi, ks, ksError, wasserstein, outOfRange,
        reference.modes(), now.modes(), lost, gained, severity);
  }

  /**
   * How far a mode's mass fell from {@code had} to {@code has}: MODE_KEPT had / has (at least 1
   * when less than MODE_KEPT of it is left), 0 when the drop is not significant.
   */
  private static double modeRatio(double had, double has, double nHad, double nHas, double sketchError) {
    double pooled = (had * nHad + has * nHas) / (nHad + nHas);
    double noise = Z * Math.sqrt(pooled * (1 - pooled) * (1 / nHad + 1 / nHas)) + sketchError;
    if (!(had - has > noise)) {
      return 0;
    }
    return MODE_KEPT * had / Math.max(has, MASS_FLOOR);
  }

  /** The reference's standard deviation, or for a constant reference the floor of ShiftThresholds. */
  private static double stdFloor(ChannelProfile reference) {
    double std = reference.std();
    if (std > 0) {
      return std;
    }
    double magnitude = Math.max(Math.abs(reference.min()), Math.abs(reference.max()));
    return Math.max(ShiftThresholds.STD_FLOOR_RELATIVE * magnitude, Double.MIN_NORMAL);
  }

  /** Whether the variances differ beyond chance (see the class comment). */
  private static boolean varianceSignificant(ChannelProfile reference, ChannelProfile now) {
    if (reference.var() == 0 || now.var() == 0) {
      ChannelProfile constant = reference.var() == 0 ? reference : now;
      ChannelProfile other = constant == reference ? now : reference;
      double value = constant.min();
      double apart = (1 - other.mass(value, value) - other.massError()) * other.finite();
      return apart > 0 && byChance(apart, other.finite(), constant.finite()) < ALPHA;
    }
    double kurtosis = Math.max(kurtosisBound(reference), kurtosisBound(now));
    double se = Math.sqrt((kurtosis - 1) * (1.0 / reference.finite() + 1.0 / now.finite()));
    return Math.abs(Math.log(now.var() / reference.var())) >= Z * se;
  }

  /** The channel's kurtosis, at most (max - min)^2 / var (so at most that when unknown). */
  private static double kurtosisBound(ChannelProfile p) {
    double range = p.max() - p.min();
    double bound = range * range / p.var();
    return Double.isNaN(p.kurtosis()) ? bound : Math.min(p.kurtosis(), bound);
  }

  /**
   * The chance that {@code count} values, of {@code n} + {@code m} values of one distribution, all
   * fell in the sample of n (as the values beyond the other sample's extremes, or apart from its one
   * value, would): (n / (n + m))^count.
   */
  private static double byChance(double count, double n, double m) {
    return Math.exp(count * Math.log(n / (n + m)));
  }

  /** The chi-square quantile at 1 - ALPHA with df degrees of freedom (Wilson-Hilferty). */
  static double chiSquareQuantile(double df) {
    if (df < 1) {
      return 0;
    }
    double z = 4.753; // the standard normal's quantile at 1 - 1e-6
    double a = 2 / (9 * df);
    double t = 1 - a + z * Math.sqrt(a);
    return df * t * t * t;
  }

  /** Every channel; the shapes must be equal (else IllegalArgumentException naming both). */
  public static ShiftResult compare(StatisticsProfile reference, StatisticsProfile now) {
    if (!reference.shape().equals(now.shape())) {
      throw new IllegalArgumentException("shift: the data's shape " + now.shape() + " is not the reference profile's "
          + reference.shape());
    }
    List<ChannelShift> channels = new ArrayList<>(now.channels().size());
    for (int c = 0; c < now.channels().size(); c++) {
      channels.add(compare(reference.channel(c), now.channel(c)));
    }
    return new ShiftResult(channels);
  }

  /**
   * All rows and each key now against the reference's; a key the reference lacks is unseen. Both
   * must have the same {@code by} columns, or neither (else IllegalArgumentException naming both).
   */
  public static ShiftSet compare(ProfileSet reference, ProfileSet now) {
    if (!reference.by().equals(now.by())) {
      throw new IllegalArgumentException("shift: the data is keyed by " + now.by()
          + " but the reference profile by " + reference.by());
    }
    ShiftResult all = compare(reference.all(), now.all());
    Map<List<Object>, StatisticsProfile> references = new HashMap<>();
    for (ProfileSet.Keyed keyed : reference.keys()) {
      references.putIfAbsent(ProfileSet.normalized(keyed.key()), keyed.profile());
    }
    List<ShiftSet.Keyed> keys = new ArrayList<>();
    for (ProfileSet.Keyed keyed : now.keys()) {
      StatisticsProfile ref = references.get(ProfileSet.normalized(keyed.key()));
      keys.add(ref == null ? new ShiftSet.Keyed(keyed.key(), true, null)
          : new ShiftSet.Keyed(keyed.key(), false, compare(ref, keyed.profile())));
    }
    return new ShiftSet(reference.by(), all, keys);
  }

  static List<Mode> none() {
    return List.of();
  }

  /** 4 significant digits, without trailing zeros (plain between 1e-4 and 1e6). */
  static String fmt(double x) {
    if (x == 0 || !Double.isFinite(x)) {
      return x == 0 ? "0" : Double.toString(x);
    }
    BigDecimal rounded = new BigDecimal(x).round(new MathContext(4)).stripTrailingZeros();
    double magnitude = Math.abs(x);
    return magnitude >= 1e-4 && magnitude < 1e6 ? rounded.toPlainString() : String.format(Locale.ROOT, "%.3e", x);
  }

  private static String capitalized(String s) {
    return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }
}
