package io.sparknorm.spark;

import java.util.UUID;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Observation;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * The rows of a frame, counted as one action runs on it: a Spark {@link Observation}, which Spark
 * gathers from the successful attempt of each task, so a retried task is counted once. Run one
 * action on {@link #frame()}, then read {@link #rows()}.
 */
public final class RowCount {
  private final Observation observation = new Observation("sparknorm-rows-" + UUID.randomUUID());
  private final Dataset<Row> frame;

  public RowCount(Dataset<Row> input) {
    frame = input.observe(observation, functions.count(functions.lit(1)).as("rows"));
  }

  /** The input, counting its rows as an action runs on it. */
  public Dataset<Row> frame() {
    return frame;
  }

  /** The rows that the action on {@link #frame()} read; waits for it to finish. */
  public long rows() {
    try {
      return ((Number) observation.getAsJava().get("rows")).longValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the row count", e);
    }
  }
}
