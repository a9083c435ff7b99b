package io.sparknorm.bench;

/**
 * Layer norm written by hand in Spark SQL ({@code aggregate}, {@code transform}), or with
 * {@code --batch} batch norm ({@code posexplode}, {@code GROUP BY}, {@code transform} with the
 * index): {@link HandSql}, plain Spark without sparknorm's extension. One run of
 * {@code local-runner/bench-submit}; see {@link SubmitJob}.
 */
public final class HandSqlJob {
  private HandSqlJob() {}

  public static void main(String[] args) {
    System.exit(SubmitJob.run("hand", "Layer norm written by hand in Spark SQL, or with --batch batch norm.", args));
  }
}
