package io.sparknorm.spark;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.Shape;
import java.util.Map;
import java.util.UUID;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Observation;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * What {@link TensorNormalization#normalize} returns: the normalized frame (lazy, one logical
 * plan), what it was computed with, and, for a caller that needs them, exact row counts.
 *
 * <p>The counts come from a Spark {@link Observation} on {@link #countedFrame()}: Spark gathers
 * observed metrics from the tasks of the action that succeeded, once per partition, so a task
 * retried after a failure is counted once. {@link #frame()} carries no observation, so that the
 * optimizer stays free to prune and push down through it.
 */
public final class NormalizationResult {
  /** Rows read, rows dropped by skip, invalid rows kept with a null result by keep. */
  public record Counts(long rowsIn, long rowsSkipped, long rowsKeptInvalid) {
    public long rowsOut() {
      return rowsIn - rowsSkipped;
    }
  }

  private final Dataset<Row> input;
  private final Column[] columns;
  private final Column problem;
  private final HandleInvalid handleInvalid;
  private final String outputCol;
  private final Shape shape;
  private final BatchStatistics statistics;
  private final KeyedStatistics keyedStatistics;
  private final Dataset<Row> frame;
  private Observation observation;
  private Dataset<Row> counted;

  NormalizationResult(Dataset<Row> input, Column[] columns, Column problem, HandleInvalid handleInvalid,
      String outputCol, Shape shape, BatchStatistics statistics) {
    this(input, columns, problem, handleInvalid, outputCol, shape, statistics, null);
  }

  NormalizationResult(Dataset<Row> input, Column[] columns, Column problem, HandleInvalid handleInvalid,
      String outputCol, Shape shape, BatchStatistics statistics, KeyedStatistics keyedStatistics) {
    this.input = input;
    this.keyedStatistics = keyedStatistics;
    this.columns = columns.clone();
    this.problem = problem;
    this.handleInvalid = handleInvalid;
    this.outputCol = outputCol;
    this.shape = shape;
    this.statistics = statistics;
    this.frame = build(input);
  }

  /** skip drops the rows whose tensor breaks a rule, before normalizing; then one projection. */
  private Dataset<Row> build(Dataset<Row> base) {
    Dataset<Row> kept = handleInvalid == HandleInvalid.SKIP ? base.filter(problem.isNull()) : base;
    return kept.select(columns);
  }

  /** The input's columns with the normalized one; lazy like any DataFrame. */
  public Dataset<Row> frame() {
    return frame;
  }

  /**
   * The same frame, counting its rows as an action runs on it: run ONE action on it (a write),
   * then read {@link #counts()}. Built once; the same frame is returned on every call.
   */
  public synchronized Dataset<Row> countedFrame() {
    BatchInput.require(input, "NormalizationResult.countedFrame", BatchInput.COUNTS);
    if (counted == null) {
      observation = new Observation("sparknorm-" + UUID.randomUUID());
      Column rowsIn = functions.count(functions.lit(1)).as("rows_in");
      if (problem == null) {
        // error: every row read is normalized (an invalid one fails the action), so the rows are
        // counted above the projection. Spark's observation is not generated code: below the
        // projection it would make Spark copy every input row out of Parquet's column batches first.
        counted = frame.observe(observation, rowsIn, functions.lit(0L).as("invalid"));
      } else {
        // skip and keep count the invalid rows by the input's check, before any is dropped.
        counted = build(input.observe(observation, rowsIn, functions.count_if(problem.isNotNull()).as("invalid")));
      }
    }
    return counted;
  }

  /**
   * The counts of the action run on {@link #countedFrame()}; waits for it to finish.
   *
   * @throws IllegalStateException when no counted frame was made
   */
  public Counts counts() {
    if (observation == null) {
      throw new IllegalStateException("no counts: run an action on countedFrame() first");
    }
    Map<String, Object> metrics;
    try {
      metrics = observation.getAsJava();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the row counts", e);
    }
    long rowsIn = ((Number) metrics.get("rows_in")).longValue();
    long invalid = ((Number) metrics.get("invalid")).longValue();
    return new Counts(rowsIn, handleInvalid == HandleInvalid.SKIP ? invalid : 0,
        handleInvalid == HandleInvalid.KEEP ? invalid : 0);
  }

  /** The name of the normalized column in {@link #frame()}. */
  public String outputCol() {
    return outputCol;
  }

  /** The sample shape used, given or inferred. */
  public Shape shape() {
    return shape;
  }

  /**
   * Batch norm's statistics (fitted or given), over all rows; null for the other methods, and
   * with statistics per key when those came without the global ones.
   */
  public BatchStatistics statistics() {
    return statistics;
  }

  /** Batch norm's statistics per key ({@link NormalizeSpec#by}); null without keys. */
  public KeyedStatistics keyedStatistics() {
    return keyedStatistics;
  }
}
