package io.sparknorm.job;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.ExactMoments;
import io.sparknorm.core.RunningStatistics;
import io.sparknorm.core.Shape;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * The running statistics of a stream after a micro-batch, as the checkpoint keeps them: the shape, the momentum (or
 * none), PyTorch's {@code num_batches_tracked}, the valid rows folded in, {@code running_mean} and {@code running_var};
 * with momentum none also the exact moments of every value seen (the start's included), from which the running
 * statistics are the exact mean and unbiased variance. Immutable; {@link #after} gives the next state.
 */
final class RunningState {
  private static final int MAGIC = 0x534e5253;
  private static final int VERSION = 1;

  private final Shape shape;
  /** Null: momentum none. */
  private final Double momentum;
  private final long batches;
  private final long rows;
  private final double[] runningMean;
  private final double[] runningVar;
  /** Momentum none only: every value seen, exactly; null otherwise. */
  private final ExactMoments moments;

  private RunningState(Shape shape, Double momentum, long batches, long rows, double[] runningMean,
      double[] runningVar, ExactMoments moments) {
    this.shape = shape;
    this.momentum = momentum;
    this.batches = batches;
    this.rows = rows;
    this.runningMean = runningMean;
    this.runningVar = runningVar;
    this.moments = moments;
  }

  /** Before the first valid row when the shape comes from the data: no shape yet, nothing folded in. */
  static RunningState notStarted(Double momentum) {
    return new RunningState(null, momentum, 0, 0, null, null, null);
  }

  /** False for {@link #notStarted}. */
  boolean started() {
    return shape != null;
  }

  /** A new PyTorch module's: mean 0, variance 1, no batch; with none and no start, no value seen. */
  static RunningState fresh(Shape shape, Double momentum) {
    double[] ones = new double[shape.channels()];
    Arrays.fill(ones, 1.0);
    return new RunningState(shape, momentum, 0, 0, new double[shape.channels()], ones,
        momentum == null ? new ExactMoments(shape) : null);
  }

  /** Starting from given running statistics (a model's buffers, a file's), having tracked {@code batches}. */
  static RunningState startingAt(Shape shape, double momentum, double[] runningMean, double[] runningVar,
      long batches) {
    // The constructor checks lengths and values.
    RunningStatistics checked = new RunningStatistics(shape, momentum, runningMean, runningVar);
    return new RunningState(shape, momentum, batches, 0, checked.runningMean(), checked.runningVar(), null);
  }

  /** Momentum none, starting from the exact moments that given statistics stand for. */
  static RunningState startingAt(ExactMoments seed, long batches) {
    BatchStatistics statistics = seed.statistics();
    return new RunningState(seed.shape(), null, batches, 0, statistics.mean(), statistics.unbiasedVariance(), seed);
  }

  /**
   * The state after one more micro-batch of {@code validRows} rows whose exact moments are {@code batch}, and whose
   * statistics are {@code statistics} (the ones of those moments): with a momentum, PyTorch's update towards its mean
   * and unbiased variance ({@link RunningStatistics}, the same arithmetic as the mini-batch replay); with none, the
   * exact mean and unbiased variance of every value so far.
   */
  RunningState after(ExactMoments batch, BatchStatistics statistics, long validRows) {
    if (momentum != null) {
      RunningStatistics running = new RunningStatistics(shape, momentum, runningMean, runningVar).update(statistics);
      return new RunningState(shape, momentum, batches + 1, rows + validRows, running.runningMean(),
          running.runningVar(), null);
    }
    ExactMoments all = moments.copy().merge(batch);
    BatchStatistics exact = all.statistics();
    return new RunningState(shape, null, batches + 1, rows + validRows, exact.mean(), exact.unbiasedVariance(), all);
  }

  Shape shape() {
    return shape;
  }

  /** The momentum, or null for none. */
  Double momentum() {
    return momentum;
  }

  /** PyTorch's {@code num_batches_tracked}: the start's and the non-empty micro-batches since. */
  long batches() {
    return batches;
  }

  /** Valid rows folded in by the stream (the start's are not counted). */
  long rows() {
    return rows;
  }

  double[] runningMean() {
    return runningMean.clone();
  }

  double[] runningVar() {
    return runningVar.clone();
  }

  /** Momentum none: every value seen, exactly (a copy); null with a momentum. */
  ExactMoments moments() {
    return moments == null ? null : moments.copy();
  }

  byte[] toBytes() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(MAGIC);
      out.writeInt(VERSION);
      if (shape == null) {
        out.writeInt(0);
        out.writeBoolean(momentum != null);
        out.writeDouble(momentum == null ? Double.NaN : momentum);
        return bytes.toByteArray();
      }
      int[] dims = shape.dims();
      out.writeInt(dims.length);
      for (int d : dims) {
        out.writeInt(d);
      }
      out.writeBoolean(momentum != null);
      out.writeDouble(momentum == null ? Double.NaN : momentum);
      out.writeLong(batches);
      out.writeLong(rows);
      for (int c = 0; c < runningMean.length; c++) {
        out.writeDouble(runningMean[c]);
        out.writeDouble(runningVar[c]);
      }
      if (moments != null) {
        byte[] exact = moments.toBytes();
        out.writeInt(exact.length);
        out.write(exact);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * Reads {@link #toBytes()}'s form.
   *
   * @throws IllegalArgumentException when the bytes are not such a state
   */
  static RunningState fromBytes(byte[] bytes) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      if (in.readInt() != MAGIC || in.readInt() != VERSION) {
        throw new IllegalArgumentException("not sparknorm's running statistics (version " + VERSION + ")");
      }
      int rank = in.readInt();
      if (rank == 0) {
        boolean given = in.readBoolean();
        double m = in.readDouble();
        return notStarted(given ? m : null);
      }
      if (rank < 0 || rank > 64) {
        throw new IllegalArgumentException("not sparknorm's running statistics: rank " + rank);
      }
      int[] dims = new int[rank];
      for (int i = 0; i < rank; i++) {
        dims[i] = in.readInt();
      }
      Shape shape = Shape.of(dims);
      boolean hasMomentum = in.readBoolean();
      double m = in.readDouble();
      long batches = in.readLong();
      long rows = in.readLong();
      int channels = shape.channels();
      if ((long) channels * 16 > bytes.length) {
        throw new IllegalArgumentException("not sparknorm's running statistics: too short for shape " + shape);
      }
      double[] mean = new double[channels];
      double[] var = new double[channels];
      for (int c = 0; c < channels; c++) {
        mean[c] = in.readDouble();
        var[c] = in.readDouble();
      }
      ExactMoments moments = null;
      if (!hasMomentum) {
        byte[] exact = new byte[in.readInt()];
        in.readFully(exact);
        moments = ExactMoments.fromBytes(exact);
      }
      if (in.read() != -1) {
        throw new IllegalArgumentException("not sparknorm's running statistics: bytes after the state");
      }
      return new RunningState(shape, hasMomentum ? m : null, batches, rows, mean, var, moments);
    } catch (IOException e) {
      throw new IllegalArgumentException("not sparknorm's running statistics: " + e.getMessage(), e);
    }
  }
}
