package io.sparknorm.core;

/**
 * Cuts samples of a shape (C, S...) into per-channel blocks of consecutive values for
 * {@link ChannelSketches}: each channel's values are staged in a buffer of up to 256 values (for
 * S = 1 one store a value; fewer for many channels, 2 Mi values in all at most) and handed on as a
 * block when the buffer is full or {@link #flush} is called; channels of at least a block's values
 * (S &gt;= 256) go straight from the sample (double) or through one converted block (float).
 */
final class BlockStager {
  /** Takes values[from, to) of channel c. */
  interface Sink {
    void block(int c, double[] values, int from, int to);
  }

  private static final int MAX_BLOCK = 256;

  private final int channels;
  private final int spatial;
  private final int block;
  private final Sink sink;
  private double[] stage;
  private int fill;
  private double[] scratch;

  BlockStager(Shape shape, Sink sink) {
    this.channels = shape.channels();
    this.spatial = shape.spatialSize();
    this.block = Math.max(16, Math.min(MAX_BLOCK, (1 << 21) / channels));
    this.sink = sink;
  }

  /** A sample of the shape (its length checked by the caller). */
  void add(double[] sample) {
    if (spatial >= block) {
      for (int c = 0, start = 0; c < channels; c++, start += spatial) {
        sink.block(c, sample, start, start + spatial);
      }
      return;
    }
    double[] st = prepare();
    int b = block;
    int f = fill;
    if (spatial == 1) {
      for (int c = 0; c < channels; c++) {
        st[c * b + f] = sample[c];
      }
    } else {
      for (int c = 0; c < channels; c++) {
        System.arraycopy(sample, c * spatial, st, c * b + f, spatial);
      }
    }
    fill = f + spatial;
  }

  /** A sample of the shape (its length checked by the caller); each float exactly as a double. */
  void add(float[] sample) {
    int b = block;
    if (spatial >= b) {
      if (scratch == null) {
        scratch = new double[b];
      }
      double[] buffer = scratch;
      for (int c = 0, start = 0; c < channels; c++, start += spatial) {
        for (int i = start, end = start + spatial; i < end; i += b) {
          int n = Math.min(b, end - i);
          for (int j = 0; j < n; j++) {
            buffer[j] = sample[i + j];
          }
          sink.block(c, buffer, 0, n);
        }
      }
      return;
    }
    double[] st = prepare();
    int f = fill;
    for (int c = 0; c < channels; c++) {
      int o = c * b + f;
      for (int i = c * spatial, end = i + spatial; i < end; i++) {
        st[o++] = sample[i];
      }
    }
    fill = f + spatial;
  }

  /** The staging buffer, with room for the next S values of every channel. */
  private double[] prepare() {
    if (stage == null) {
      stage = new double[channels * block];
    } else if (fill + spatial > block) {
      flush();
    }
    return stage;
  }

  /** Hands every channel's staged values on. */
  void flush() {
    if (fill > 0) {
      for (int c = 0; c < channels; c++) {
        sink.block(c, stage, c * block, c * block + fill);
      }
      fill = 0;
    }
  }
}
