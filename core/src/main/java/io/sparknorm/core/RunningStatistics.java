package io.sparknorm.core;

import io.sparknorm.core.ArgumentException.Argument;
import io.sparknorm.core.NormalizationException.Rule;
import java.util.Arrays;

/**
 * PyTorch's running statistics of batch norm in training mode: {@code running_mean} starts at 0,
 * {@code running_var} at 1 (or at given values, such as a model's buffers or a statistics file),
 * and each batch moves them by {@code momentum} towards its mean and its UNBIASED variance:
 * {@code running = momentum * batch + (1 - momentum) * running}.
 *
 * <p>The arithmetic is PyTorch's CPU kernel's for float64 ({@code batch_norm_cpu_update_stats_template}:
 * {@code momentum * mean + (1 - momentum) * running_mean}, in double), so with the same batch
 * statistics the running values are the same bits. Float32 models do this update in float; here it
 * stays in double, which differs from them by float rounding only.
 */
public final class RunningStatistics {
  /** PyTorch's default momentum ({@code torch.nn.BatchNorm*d}). */
  public static final double DEFAULT_MOMENTUM = 0.1;

  private final Shape shape;
  private final double momentum;
  private final double[] runningMean;
  private final double[] runningVar;
  private long batches;

  /**
   * Running statistics as a new PyTorch module has them: mean 0, variance 1.
   *
   * @param momentum in [0, 1]; PyTorch's default is {@link #DEFAULT_MOMENTUM}
   */
  public RunningStatistics(Shape shape, double momentum) {
    this(shape, momentum, new double[shape.channels()], ones(shape.channels()));
  }

  /**
   * Running statistics that start from given values, one per channel: a model's
   * {@code running_mean} and {@code running_var}, or a statistics file's {@code mean} and
   * {@code var}.
   *
   * @param momentum in [0, 1]; PyTorch's default is {@link #DEFAULT_MOMENTUM}
   * @throws IllegalArgumentException when the momentum is outside [0, 1], an array's length is not
   *     the channel count, a mean is not finite or a variance is negative or not finite
   */
  public RunningStatistics(Shape shape, double momentum, double[] runningMean, double[] runningVar) {
    if (!(momentum >= 0 && momentum <= 1)) {
      throw new IllegalArgumentException("momentum is " + momentum + ", must be in [0, 1]");
    }
    int channels = shape.channels();
    check("running mean", runningMean, channels);
    check("running var", runningVar, channels);
    for (int c = 0; c < channels; c++) {
      if (!Double.isFinite(runningMean[c])) {
        throw new ArgumentException(Rule.STATISTICS, Argument.MEAN, Double.toString(runningMean[c]), c,
            "running mean[" + c + "] is " + runningMean[c] + ", must be finite");
      }
      if (!(runningVar[c] >= 0) || Double.isInfinite(runningVar[c])) {
        throw new ArgumentException(Rule.STATISTICS, Argument.VAR, Double.toString(runningVar[c]), c,
            "running var[" + c + "] is " + runningVar[c] + ", must be finite and >= 0");
      }
    }
    this.shape = shape;
    this.momentum = momentum;
    this.runningMean = runningMean.clone();
    this.runningVar = runningVar.clone();
  }

  private static double[] ones(int channels) {
    double[] ones = new double[channels];
    Arrays.fill(ones, 1.0);
    return ones;
  }

  private static void check(String name, double[] values, int channels) {
    if (values == null || values.length != channels) {
      throw new ArgumentException(Rule.STATISTICS, name.endsWith("mean") ? Argument.MEAN : Argument.VAR,
          values == null ? null : Integer.toString(values.length), -1,
          name + " has " + (values == null ? "no" : String.valueOf(values.length))
          + " values, the shape has " + channels + " channels");
    }
  }

  /** Moves the running values towards one batch's statistics. */
  public RunningStatistics update(BatchStatistics batch) {
    if (!batch.shape().equals(shape)) {
      throw new IllegalArgumentException("batch statistics of shape " + batch.shape() + " do not fit running statistics of shape " + shape);
    }
    double[] mean = batch.mean();
    double[] unbiased = batch.unbiasedVariance();
    for (int c = 0; c < runningMean.length; c++) {
      // PyTorch's order of terms (Normalization.cpp): momentum * batch + (1 - momentum) * running.
      runningMean[c] = momentum * mean[c] + (1 - momentum) * runningMean[c];
      runningVar[c] = momentum * unbiased[c] + (1 - momentum) * runningVar[c];
    }
    batches++;
    return this;
  }

  public Shape shape() {
    return shape;
  }

  public double momentum() {
    return momentum;
  }

  public double[] runningMean() {
    return runningMean.clone();
  }

  public double[] runningVar() {
    return runningVar.clone();
  }

  /** Batches seen so far: PyTorch's {@code num_batches_tracked} when starting from a new module. */
  public long batches() {
    return batches;
  }

  /** The running values as statistics to normalize with in evaluation mode. */
  public BatchStatistics toStatistics() {
    double[] unknown = new double[runningMean.length];
    Arrays.fill(unknown, Double.NaN);
    return new BatchStatistics(shape, 0, runningMean, runningVar, unknown);
  }
}
