package io.sparknorm.bench;

/**
 * Starts a Spark session and stops it: what every spark-submit run pays before any work. One run
 * of {@code local-runner/bench-submit}; see {@link SubmitJob}.
 */
public final class EmptyJob {
  private EmptyJob() {}

  public static void main(String[] args) {
    System.exit(SubmitJob.run("empty", "Starts a Spark session and stops it.", args));
  }
}
