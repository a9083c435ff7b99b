package io.sparknorm.core;

import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@link ChannelMoments} kept apart per part of the data (a Spark partition) and merged in part
 * order only when the result is asked for. Chan's merge is exact in real arithmetic but not in
 * floating point: merging the same parts in another order changes the last bits. An aggregation
 * engine merges partial states in whatever order they arrive; keying them by part makes the result
 * the same bits on every run over the same parts, whatever the arrival order, retries included.
 *
 * <p>The state costs O(C) per part: C x parts doubles at the end, on whoever asks for the result.
 */
public final class PartitionedMoments implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Shape shape;
  private final TreeMap<Integer, ChannelMoments> parts = new TreeMap<>();
  /** The part that updates go to: one map look-up per part, not per sample. */
  private transient ChannelMoments current;
  private transient int currentPart = -1;

  public PartitionedMoments(Shape shape) {
    this.shape = shape;
  }

  public Shape shape() {
    return shape;
  }

  /** Folds one flat sample of part {@code part} in. */
  public PartitionedMoments update(int part, double[] sample) {
    moments(part).update(sample);
    return this;
  }

  /** Folds one flat sample of part {@code part} in; the arithmetic is in double. */
  public PartitionedMoments update(int part, float[] sample) {
    moments(part).update(sample);
    return this;
  }

  private ChannelMoments moments(int part) {
    if (current == null || currentPart != part) {
      current = parts.computeIfAbsent(part, p -> new ChannelMoments(shape));
      currentPart = part;
    }
    return current;
  }

  /**
   * Adds another state's parts into this one; a part present in both (which one pass over the
   * data never produces) is merged, this one's first.
   */
  public PartitionedMoments merge(PartitionedMoments other) {
    if (!shape.equals(other.shape)) {
      throw new IllegalArgumentException("cannot merge moments of shape " + other.shape + " into moments of shape " + shape);
    }
    for (Map.Entry<Integer, ChannelMoments> part : other.parts.entrySet()) {
      ChannelMoments mine = parts.get(part.getKey());
      if (mine == null) {
        parts.put(part.getKey(), new ChannelMoments(shape).merge(part.getValue()));
      } else {
        mine.merge(part.getValue());
      }
    }
    current = null;
    return this;
  }

  /** All parts merged in part order: the same bits whatever order the parts were merged in here. */
  public ChannelMoments total() {
    ChannelMoments total = new ChannelMoments(shape);
    parts.values().forEach(total::merge);
    return total;
  }
}
