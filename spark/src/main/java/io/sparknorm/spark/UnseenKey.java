package io.sparknorm.spark;

import java.util.Locale;

/** Batch norm per key: what a row whose key has no statistics of its own is normalized with. */
public enum UnseenKey {
  /** Stop with an error naming the row and its key. */
  ERROR,
  /** Use the statistics over all rows of every key. */
  GLOBAL;

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static UnseenKey parse(String text) {
    if (text != null) {
      for (UnseenKey u : values()) {
        if (u.id().equalsIgnoreCase(text.strip())) {
          return u;
        }
      }
    }
    throw new IllegalArgumentException("unseen-key '" + text + "' is not one of error, global");
  }
}
