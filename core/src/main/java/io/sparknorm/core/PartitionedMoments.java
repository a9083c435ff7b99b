package io.sparknorm.core;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
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

  /**
   * The state's byte form: the shape, then each part's index and moments (8 bytes a number, 24 a
   * channel). An engine ships partial states as bytes; this form needs no class loading to read.
   */
  public byte[] toBytes() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 + parts.size() * (12 + 24 * shape.channels()));
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      int[] dims = shape.dims();
      out.writeInt(dims.length);
      for (int d : dims) {
        out.writeInt(d);
      }
      out.writeInt(parts.size());
      for (Map.Entry<Integer, ChannelMoments> part : parts.entrySet()) {
        out.writeInt(part.getKey());
        part.getValue().writeTo(out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** Reads the byte form of {@link #toBytes()}. */
  public static PartitionedMoments fromBytes(byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      int[] dims = new int[in.readInt()];
      for (int i = 0; i < dims.length; i++) {
        dims[i] = in.readInt();
      }
      PartitionedMoments moments = new PartitionedMoments(Shape.of(dims));
      int parts = in.readInt();
      for (int p = 0; p < parts; p++) {
        int part = in.readInt();
        moments.parts.put(part, ChannelMoments.readFrom(in, moments.shape));
      }
      return moments;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
