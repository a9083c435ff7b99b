package io.sparknorm.core;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.memory.Memory;

/**
 * The compact byte form of {@link ChannelSketches} (big-endian, {@link DataOutputStream}):
 *
 * <pre>
 *   int magic "SNKS", int version 1, int k, int rank, rank x int dims, long count,
 *   per channel: long nans, long infinities, long zeros, double min, double max,
 *                long n (finite values), double mean, double M2, double M3, double M4,
 *                int length, length bytes: the KLL sketch's toByteArray() (its compact form)
 * </pre>
 *
 * Reading checks that every channel adds up (n + nans + infinities = count, n = the sketch's count).
 */
final class ChannelSketchesCodec {
  static final int MAGIC = 0x534E4B53; // "SNKS"
  static final int VERSION = 1;

  private ChannelSketchesCodec() {}

  /** Writes a flushed state. */
  static byte[] write(ChannelSketches s) {
    int channels = s.sketches.length;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + channels * 256);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(MAGIC);
      out.writeInt(VERSION);
      out.writeInt(s.k);
      int[] dims = s.shape.dims();
      out.writeInt(dims.length);
      for (int d : dims) {
        out.writeInt(d);
      }
      out.writeLong(s.count);
      for (int c = 0; c < channels; c++) {
        CentralMoments m = s.moments[c];
        out.writeLong(s.nans[c]);
        out.writeLong(s.infinities[c]);
        out.writeLong(s.zeros[c]);
        out.writeDouble(s.min[c]);
        out.writeDouble(s.max[c]);
        out.writeLong(m.n());
        out.writeDouble(m.n() == 0 ? 0 : m.mean());
        out.writeDouble(m.m2());
        out.writeDouble(m.m3());
        out.writeDouble(m.m4());
        byte[] sketch = s.sketches[c].toByteArray();
        out.writeInt(sketch.length);
        out.write(sketch);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static ChannelSketches read(byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      if (in.readInt() != MAGIC) {
        throw new IllegalArgumentException("not channel sketches: wrong magic number");
      }
      int version = in.readInt();
      if (version != VERSION) {
        throw new IllegalArgumentException("channel sketches: version " + version + ", this code reads " + VERSION);
      }
      int k = in.readInt();
      int rank = in.readInt();
      if (rank <= 0 || rank > 64) {
        throw new IllegalArgumentException("not channel sketches: rank " + rank);
      }
      int[] dims = new int[rank];
      for (int i = 0; i < rank; i++) {
        dims[i] = in.readInt();
      }
      Shape shape = Shape.of(dims);
      // Each channel takes at least 92 bytes: refuse a shape the bytes cannot hold before allocating.
      if ((long) shape.channels() * 92 > bytes.length) {
        throw new IllegalArgumentException("not channel sketches: " + bytes.length + " bytes cannot hold shape " + shape);
      }
      ChannelSketches s = new ChannelSketches(shape, k);
      s.count = in.readLong();
      for (int c = 0; c < shape.channels(); c++) {
        s.nans[c] = in.readLong();
        s.infinities[c] = in.readLong();
        s.zeros[c] = in.readLong();
        s.min[c] = in.readDouble();
        s.max[c] = in.readDouble();
        long n = in.readLong();
        s.moments[c] = new CentralMoments(n, in.readDouble(), in.readDouble(), in.readDouble(), in.readDouble());
        int length = in.readInt();
        if (length < 0 || length > bytes.length) {
          throw new IllegalArgumentException("not channel sketches: channel " + c + " sketch of " + length + " bytes");
        }
        byte[] sketch = new byte[length];
        in.readFully(sketch);
        s.sketches[c] = KllDoublesSketch.heapify(Memory.wrap(sketch));
        if (s.sketches[c].getN() != n || n + s.nans[c] + s.infinities[c] != s.count || s.zeros[c] > n) {
          throw new IllegalArgumentException("not channel sketches: the counts of channel " + c + " do not add up");
        }
      }
      if (in.read() != -1) {
        throw new IllegalArgumentException("not channel sketches: bytes after the state");
      }
      return s;
    } catch (IllegalArgumentException e) {
      throw e;
    } catch (IOException | RuntimeException e) { // a truncated form, or DataSketches refusing a sketch's bytes
      throw new IllegalArgumentException("not channel sketches: " + e, e);
    }
  }

  /** What Java serialization writes for a ChannelSketches: its bytes. */
  static final class Serialized implements Serializable {
    private static final long serialVersionUID = 1L;
    private final byte[] bytes;

    Serialized(byte[] bytes) {
      this.bytes = bytes;
    }

    private Object readResolve() {
      return ChannelSketches.fromBytes(bytes);
    }
  }
}
