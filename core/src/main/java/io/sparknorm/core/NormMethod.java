package io.sparknorm.core;

import java.util.Locale;

/** The four normalizations, named as on the command line. */
public enum NormMethod {
  /** Per channel over the whole dataset (all samples and spatial positions). */
  BATCH,
  /** Per sample over all its elements; affine per element. */
  LAYER,
  /** Per sample and channel over the spatial positions. */
  INSTANCE,
  /** Per sample and group of consecutive channels. */
  GROUP;

  /** The lower-case name used on the command line and in files. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code batch}, {@code layer}, {@code instance} or {@code group} (any case). */
  public static NormMethod parse(String text) {
    if (text != null) {
      for (NormMethod m : values()) {
        if (m.id().equalsIgnoreCase(text.strip())) {
          return m;
        }
      }
    }
    throw new IllegalArgumentException("method '" + text + "' is not one of batch, layer, instance, group");
  }
}
