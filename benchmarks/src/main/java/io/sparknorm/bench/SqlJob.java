package io.sparknorm.bench;

/**
 * Layer norm through SQL, {@code SELECT id, layer_norm(features, 'SHAPE') AS features FROM t}, or
 * with {@code --api} through {@code io.sparknorm.sql.functions.layerNorm} in a select. The session
 * needs {@code --conf spark.sql.extensions=io.sparknorm.sql.SparknormExtensions}. One run of
 * {@code local-runner/bench-submit}; see {@link SubmitJob}.
 */
public final class SqlJob {
  private SqlJob() {}

  public static void main(String[] args) {
    System.exit(SubmitJob.run("sql", "Layer norm through SQL, or with --api through the DataFrame API"
        + " (needs --conf spark.sql.extensions=io.sparknorm.sql.SparknormExtensions).", args));
  }
}
