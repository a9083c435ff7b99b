package io.sparknorm.core;

import java.util.Arrays;

/**
 * PyTorch's running statistics of batch norm in training mode: {@code running_mean} starts at 0,
 * {@code running_var} at 1, and each batch moves them by {@code momentum} towards its mean and its
 * UNBIASED variance: {@code running = (1 - momentum) * running + momentum * batch}.
 */
public final class RunningStatistics {
  private final Shape shape;
  private final double momentum;
  private final double[] runningMean;
  private final double[] runningVar;
  private long batches;

  /**
   * @param momentum in [0, 1]; PyTorch's default is 0.1
   */
  public RunningStatistics(Shape shape, double momentum) {
    if (!(momentum >= 0 && momentum <= 1)) {
      throw new IllegalArgumentException("momentum is " + momentum + ", must be in [0, 1]");
    }
    this.shape = shape;
    this.momentum = momentum;
    this.runningMean = new double[shape.channels()];
    this.runningVar = new double[shape.channels()];
    Arrays.fill(runningVar, 1.0);
  }

  /** Moves the running values towards one batch's statistics. */
  public RunningStatistics update(BatchStatistics batch) {
    if (!batch.shape().equals(shape)) {
      throw new IllegalArgumentException("batch statistics of shape " + batch.shape() + " do not fit running statistics of shape " + shape);
    }
    double[] mean = batch.mean();
    double[] unbiased = batch.unbiasedVariance();
    for (int c = 0; c < runningMean.length; c++) {
      runningMean[c] = (1 - momentum) * runningMean[c] + momentum * mean[c];
      runningVar[c] = (1 - momentum) * runningVar[c] + momentum * unbiased[c];
    }
    batches++;
    return this;
  }

  public double[] runningMean() {
    return runningMean.clone();
  }

  public double[] runningVar() {
    return runningVar.clone();
  }

  /** Batches seen so far. */
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
