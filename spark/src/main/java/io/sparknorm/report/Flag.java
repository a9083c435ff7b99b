package io.sparknorm.report;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A remark on one channel: {@code id} is a short token (letters, digits, '-' and '_'; the page filters on it), e.g.
 * {@link #MULTIMODAL}, and {@code explanation} a short sentence about this channel, e.g. "two groups of values,
 * around 0.0 and 12.5".
 */
public record Flag(String id, String explanation) {
  /** The values gather in two or more separate groups. */
  public static final String MULTIMODAL = "multimodal";
  /** The variance is below eps: the normalized output is just the bias. */
  public static final String CONSTANT = "constant";
  /** A few values lie far outside the bulk and stretch the std. */
  public static final String OUTLIERS = "outliers";
  /** A large share of the values are exactly zero. */
  public static final String ZEROS = "zeros";
  /** Against the reference profile: the distribution moved (mean, spread or shape). */
  public static final String SHIFTED = "shifted";
  /** Against the reference profile: a mode of the reference holds much less of the values now. */
  public static final String MODE_LOST = "mode-lost";
  /** Against the reference profile: a mode now where the reference had little mass. */
  public static final String MODE_NEW = "mode-new";
  /** Against the reference profile: a share of the values lies outside the reference's [min, max]. */
  public static final String OUT_OF_RANGE = "out-of-range";

  private static final Map<String, String[]> KNOWN = Map.of(
      SHIFTED, new String[] {"shifted", "the distribution moved since the reference: its mean (in reference std), "
          + "its variance, or its shape (PSI, Kolmogorov-Smirnov) is past the thresholds; the fitted statistics may "
          + "no longer fit."},
      MODE_LOST, new String[] {"mode lost", "a group of values the reference had now holds much less of the values "
          + "(a class or a source that stopped appearing)."},
      MODE_NEW, new String[] {"new mode", "a group of values now where the reference had little mass (a new class, "
          + "sensor or population)."},
      OUT_OF_RANGE, new String[] {"out of range", "a share of the values lies outside the reference's [min, max]."},
      MULTIMODAL, new String[] {"multi-modal", "the values gather in two or more separate groups; one mean and one "
          + "std describe them poorly, and the normalized values keep the gaps."},
      CONSTANT, new String[] {"constant", "constant or near-constant: the variance is below eps, so the normalized "
          + "output is just the bias (0 without affine); the channel carries no information."},
      OUTLIERS, new String[] {"outliers", "heavy outliers: a few values lie far beyond the 1%-99% range and inflate "
          + "the std, so most normalized values are squeezed close to the mean."},
      ZEROS, new String[] {"many zeros", "a large share of the values are exactly 0 (padding, background or sparse "
          + "input); the mean and std mix the zeros with the rest."});

  public Flag {
    Objects.requireNonNull(id, "id");
    if (!id.matches("[A-Za-z0-9_-]+")) {
      throw new IllegalArgumentException("flag id '" + id + "' must be letters, digits, '-' or '_'");
    }
    explanation = explanation == null ? "" : explanation;
  }

  /** The badge text: "multi-modal" for {@link #MULTIMODAL}, the id itself for an unknown id. */
  static String title(String id) {
    String[] known = KNOWN.get(id);
    return known == null ? id : known[0];
  }

  /** What the flag means in general, for the page's legend; null for an unknown id. */
  static String meaning(String id) {
    String[] known = KNOWN.get(id);
    return known == null ? null : known[1];
  }

  /** The ids the page explains in its legend, in this order (the shift flags only when there is a comparison). */
  static List<String> knownIds() {
    return List.of(MULTIMODAL, CONSTANT, OUTLIERS, ZEROS);
  }

  /** The flags of a comparison with a reference profile, in the legend's order. */
  static List<String> shiftIds() {
    return List.of(SHIFTED, MODE_LOST, MODE_NEW, OUT_OF_RANGE);
  }
}
