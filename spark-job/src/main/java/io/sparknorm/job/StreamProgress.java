package io.sparknorm.job;

import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.function.LongUnaryOperator;
import java.util.function.Supplier;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.StreamingQueryProgress;

/**
 * The stream's progress: one line per micro-batch on standard error (unless {@code --quiet}),
 *
 * <pre>
 * sparknorm: batch 3 rows=250000 rows_per_s=180000 files=4 stats_count=1000000
 * </pre>
 *
 * <p>{@code rows} the micro-batch's input rows, {@code rows_per_s} Spark's processed rows per second of it,
 * {@code files} its input files (from the file source's log in the checkpoint; {@code -} for Delta), and
 * {@code stats_count} the statistics' count so far ({@code -} for a per-sample method). And the run's totals for the
 * summary line: the output rows and the invalid rows kept come from {@link #OBSERVED}, an observation
 * ({@code Dataset.observe}) of the normalized stream that Spark reports with each micro-batch's progress.
 */
final class StreamProgress extends StreamingQueryListener {
  /** The observation's name; its values: {@code rows_out}, {@code invalid_kept}. */
  static final String OBSERVED = "sparknorm_rows";
  static final String LINE = "sparknorm: batch %d rows=%d rows_per_s=%.0f files=%s stats_count=%s";

  private final String queryName;
  private final PrintStream err;
  private final CheckpointLogs logs;
  private final Supplier<String> statsCount;
  /** A micro-batch's input rows by batch id (-1: unknown), where Spark's count would add up several passes; or null. */
  private final LongUnaryOperator rowsOf;

  // Guarded by this: the totals of the micro-batches of this run.
  private long lastBatch = -1;
  private long batches;
  private long rowsIn;
  private long rowsOut;
  private long kept;
  private long bytes;

  /**
   * @param err where the lines go; null for none
   * @param logs the checkpoint's logs of a file source; null for Delta
   * @param rowsOf a micro-batch's input rows by batch id (-1: unknown) for a foreachBatch function that reads its
   *     micro-batch more than once (Spark's count adds up every pass); null to take Spark's
   */
  StreamProgress(String queryName, PrintStream err, CheckpointLogs logs, Supplier<String> statsCount,
      LongUnaryOperator rowsOf) {
    this.queryName = queryName;
    this.err = err;
    this.logs = logs;
    this.statsCount = statsCount;
    this.rowsOf = rowsOf;
  }

  record Totals(long batches, long rowsIn, long rowsOut, long kept, long bytes) {}

  @Override
  public void onQueryStarted(QueryStartedEvent event) {}

  @Override
  public void onQueryTerminated(QueryTerminatedEvent event) {}

  @Override
  public void onQueryProgress(QueryProgressEvent event) {
    StreamingQueryProgress progress = event.progress();
    if (!queryName.equals(progress.name())) {
      return;
    }
    long id = progress.batchId();
    long counted = rowsOf == null ? -1 : rowsOf.applyAsLong(id);
    long rows = counted >= 0 ? counted : progress.numInputRows();
    Row observed = progress.observedMetrics() == null ? null : progress.observedMetrics().get(OBSERVED);
    long out = observed == null ? rows : ((Number) observed.getAs("rows_out")).longValue();
    long invalidKept = observed == null ? 0 : ((Number) observed.getAs("invalid_kept")).longValue();
    String files = "-";
    long batchBytes = 0;
    if (logs != null) {
      try {
        List<String> list = logs.files(id);
        files = Integer.toString(list.size());
        batchBytes = logs.bytes(list);
      } catch (IOException | RuntimeException unknown) {
        files = "?";
      }
    }
    synchronized (this) {
      if (id <= lastBatch) {
        return;
      }
      lastBatch = id;
      batches++;
      rowsIn += rows;
      rowsOut += out;
      kept += invalidKept;
      bytes += batchBytes;
      notifyAll();
    }
    if (err != null) {
      Long ms = progress.durationMs() == null ? null : progress.durationMs().get("triggerExecution");
      double rate = counted < 0 ? progress.processedRowsPerSecond() : ms == null || ms == 0 ? 0 : rows * 1000.0 / ms;
      err.println(String.format(Locale.ROOT, LINE, id, rows, Double.isFinite(rate) ? rate : 0, files,
          statsCount.get()));
    }
  }

  /**
   * The totals once the listener has seen micro-batch {@code batchId} (Spark hands progress to listeners on its own
   * thread, after the micro-batch); at most {@code timeoutMs} of waiting. A batch id below 0: no waiting.
   */
  synchronized Totals totals(long batchId, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMs * 1_000_000;
    while (lastBatch < batchId && System.nanoTime() < deadline) {
      wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
    }
    return new Totals(batches, rowsIn, rowsOut, kept, bytes);
  }
}
