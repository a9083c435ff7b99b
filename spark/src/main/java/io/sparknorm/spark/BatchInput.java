package io.sparknorm.spark;

import io.sparknorm.sql.StreamingInputException;
import org.apache.spark.sql.Dataset;

/**
 * The one check that work which needs all of its input at once is not asked of a stream
 * ({@link Dataset#isStreaming()}), and the reasons it gives. Per-row work (normalizing with a shape
 * and, for batch norm, statistics that are given) runs on a stream as on a batch, with the same
 * bits; fitting statistics, reading the shape from a first row, replaying mini-batches and reports
 * read the whole input, which a stream never finishes. Called first by each such method of the
 * library and the ML stages, before any Spark job.
 *
 * <p>Internal: public only for {@code io.sparknorm.ml}; not part of the API.
 */
public final class BatchInput {
  /** Fitting batch norm's statistics. */
  public static final String FIT = "statistics over a whole stream never finish: fit on a batch read of the same"
      + " data (spark.read) and normalize the stream with the statistics fitted there";
  /** An Estimator's fit. */
  public static final String FIT_MODEL = "statistics over a whole stream never finish: fit on a batch read of the"
      + " same data (spark.read) and apply the fitted TensorBatchNormModel to the stream, or use the job's --stream"
      + " --momentum for running statistics";
  /** The shape read from the first valid row. */
  public static final String SHAPE = "the shape is not set, and a stream's first row cannot be read ahead of the"
      + " query to infer it: set the shape";
  /** A report over the input. */
  public static final String REPORT = "a report is over a whole input, which a stream never finishes: report on a"
      + " batch read of the same data (spark.read)";
  /** Mini-batch replay. */
  public static final String REPLAY = "replaying mini-batches numbers the whole input first, which a stream never"
      + " finishes: use the job's --stream --momentum for running statistics over a stream";

  /** Counts of one action. */
  public static final String COUNTS = "the counts are those of one action over the whole input, which a stream never"
      + " finishes: write frame(), and count each micro-batch's rows with Dataset.observe(name, ...) and a"
      + " StreamingQueryListener";

  private BatchInput() {}

  /**
   * @param operation what was called, as its user names it ({@code TensorBatchNorm.fit})
   * @param reason why that needs the whole input, and what to do instead: one of the constants here
   * @throws StreamingInputException when {@code input} is a stream
   */
  public static void require(Dataset<?> input, String operation, String reason) {
    if (input.isStreaming()) {
      throw new StreamingInputException(operation, "the dataset is a stream; " + reason);
    }
  }
}
