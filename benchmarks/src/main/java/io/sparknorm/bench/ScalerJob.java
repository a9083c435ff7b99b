package io.sparknorm.bench;

/**
 * Spark ML's StandardScaler with mean and std: fit, transform and write, the arrays turned into
 * vectors. One run of {@code local-runner/bench-submit}; see {@link SubmitJob}.
 */
public final class ScalerJob {
  private ScalerJob() {}

  public static void main(String[] args) {
    System.exit(SubmitJob.run("scaler", "Spark ML's StandardScaler (mean and std): fit, transform, write.", args));
  }
}
