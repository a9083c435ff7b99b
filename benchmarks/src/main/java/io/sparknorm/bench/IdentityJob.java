package io.sparknorm.bench;

/**
 * Reads Parquet and writes it again, as Parquet or ({@code --output-format delta}) as a Delta table: the
 * I/O limit of every job writing that format. One run of {@code local-runner/bench-submit}; see {@link SubmitJob}.
 */
public final class IdentityJob {
  private IdentityJob() {}

  public static void main(String[] args) {
    System.exit(SubmitJob.run("identity", "Reads Parquet and writes it again, as Parquet or a Delta table (the I/O limit).", args));
  }
}
