package io.sparknorm.spark;

import io.sparknorm.core.BatchStatistics;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Fitted batch statistics per key, a value ({@link TensorNormalization#fitKeyedStatistics} fits it,
 * {@link StatisticsFiles} reads it, a caller may build it): one {@link BatchStatistics} for each
 * value of the key columns (the job's {@code --by}), and the statistics over all rows of every key
 * ({@link #global()}), which {@code --unseen-key global} applies to a key that has none of its own.
 *
 * <p>A key is the list of its columns' values in the order of {@link #keyColumns()}: a
 * {@link String}, a {@link Long} (every integer type), a {@link Boolean}, or null. Entries are
 * kept sorted by key (nulls first), so a statistics file lists them in the same order every time.
 */
public final class KeyedStatistics implements Serializable {
  private static final long serialVersionUID = 1L;

  /** One key's values and its statistics. */
  public record Entry(List<Object> key, BatchStatistics statistics) implements Serializable {
    public Entry {
      key = Collections.unmodifiableList(new ArrayList<>(key));
    }
  }

  private final List<String> keyColumns;
  private final List<Entry> entries;
  private final BatchStatistics global;
  private final Map<List<Object>, BatchStatistics> byKey = new HashMap<>();

  /**
   * @param global the statistics over all rows, or null when not known
   * @throws IllegalArgumentException for a key of the wrong arity or type, or a key given twice
   */
  public KeyedStatistics(List<String> keyColumns, List<Entry> entries, BatchStatistics global) {
    this.keyColumns = List.copyOf(keyColumns);
    List<Entry> sorted = new ArrayList<>(entries);
    sorted.sort(Comparator.comparing(Entry::key, KeyedStatistics::compareKeys));
    this.entries = List.copyOf(sorted);
    this.global = global;
    for (Entry entry : this.entries) {
      if (entry.key().size() != keyColumns.size()) {
        throw new IllegalArgumentException("key " + entry.key() + " has " + entry.key().size() + " values but the"
            + " statistics are by " + keyColumns.size() + " column(s) " + keyColumns);
      }
      for (Object value : entry.key()) {
        if (value != null && !(value instanceof String || value instanceof Long || value instanceof Boolean)) {
          throw new IllegalArgumentException("key " + entry.key() + ": a key value is a string, an integer, a boolean"
              + " or null, not " + value.getClass().getSimpleName());
        }
      }
      if (byKey.put(entry.key(), entry.statistics()) != null) {
        throw new IllegalArgumentException("key " + describe(entry.key()) + " is given twice");
      }
    }
  }

  public List<String> keyColumns() {
    return keyColumns;
  }

  /** Every key with its statistics, sorted by key. */
  public List<Entry> entries() {
    return entries;
  }

  /** The statistics over all rows, or null when not known. */
  public BatchStatistics global() {
    return global;
  }

  /** This key's statistics, or null when it has none. */
  public BatchStatistics statistics(List<Object> key) {
    return byKey.get(key);
  }

  /** How a key reads in messages: {@code site=a, year=2024}. */
  public String describe(List<Object> key) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < key.size(); i++) {
      text.append(i == 0 ? "" : ", ").append(keyColumns.get(i)).append('=');
      Object value = key.get(i);
      text.append(value instanceof String s ? "'" + s + "'" : String.valueOf(value));
    }
    return text.toString();
  }

  /** Nulls first, then by value; values of one column share a type. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static int compareKeys(List<Object> a, List<Object> b) {
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      Object x = a.get(i);
      Object y = b.get(i);
      int order = x == null ? (y == null ? 0 : -1) : y == null ? 1
          : x.getClass() == y.getClass() ? ((Comparable) x).compareTo(y)
          : x.getClass().getName().compareTo(y.getClass().getName());
      if (order != 0) {
        return order;
      }
    }
    return Integer.compare(a.size(), b.size());
  }
}
