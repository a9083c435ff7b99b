package io.sparknorm.job;

import io.sparknorm.core.ChannelSketches;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.function.LongFunction;
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
 * {@code stats_count} the statistics' count: the --stats-in file's, or the rows in the running statistics after the
 * micro-batch ({@code -} for a per-sample method); with {@code --shift-from}, {@code shifted=K} (channels flagged)
 * and, when K > 0, {@code worst=<channel>:<flags>} ({@link StreamShift}). And the run's totals for the
 * summary line: the output rows and the invalid rows kept come from {@link #OBSERVED}, an observation
 * ({@code Dataset.observe}) of the normalized stream that Spark reports with each micro-batch's progress.
 */
final class StreamProgress extends StreamingQueryListener {
  /** The observation's name; its values: {@code rows_out}, {@code invalid_kept}. */
  static final String OBSERVED = "sparknorm_rows";
  static final String LINE = "sparknorm: batch %d rows=%d rows_per_s=%.0f files=%s stats_count=%s%s";
  /** The observation of the input's sketches on a per-row stream with {@code --shift-from}; its value: sketches. */
  static final String SHIFT_OBSERVED = "sparknorm_shift";

  private final String queryName;
  private final PrintStream err;
  private final CheckpointLogs logs;
  private final LongFunction<String> statsCount;
  private final LongFunction<RunningBatches.Counts> counts;
  private final StreamShift shift;

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
   * @param counts each micro-batch's counts where the query counts them itself (running statistics); else null
   * @param shift with --shift-from: the comparison, made here from the observed sketches when the query does not
   *     make it itself (without {@code counts}); else null
   */
  StreamProgress(String queryName, PrintStream err, CheckpointLogs logs, LongFunction<String> statsCount,
      LongFunction<RunningBatches.Counts> counts, StreamShift shift) {
    this.queryName = queryName;
    this.err = err;
    this.logs = logs;
    this.statsCount = statsCount;
    this.counts = counts;
    this.shift = shift;
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
    if (shift != null && counts == null) {
      compare(id, progress.observedMetrics() == null ? null : progress.observedMetrics().get(SHIFT_OBSERVED));
    }
    long rows = progress.numInputRows();
    long out = rows;
    long invalidKept = 0;
    RunningBatches.Counts counted = counts == null ? null : counts.apply(id);
    Row observed = progress.observedMetrics() == null ? null : progress.observedMetrics().get(OBSERVED);
    if (counted != null) {
      rows = counted.rowsIn();
      out = counted.rowsOut();
      invalidKept = counted.kept();
    } else if (observed != null) {
      out = ((Number) observed.getAs("rows_out")).longValue();
      invalidKept = ((Number) observed.getAs("invalid_kept")).longValue();
    }
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
      // The line before the totals are handed on: the summary line comes after it.
      if (err != null) {
        double rate = progress.processedRowsPerSecond();
        err.println(String.format(Locale.ROOT, LINE, id, rows, Double.isFinite(rate) ? rate : 0, files,
            statsCount.apply(id), shift == null ? "" : shift.progress(id)));
      }
      notifyAll();
    }
  }

  /**
   * The per-row stream's comparison of micro-batch {@code id}, from its observed sketches (none when the sink found
   * the micro-batch committed before and wrote nothing, or no row was valid).
   */
  private void compare(long id, Row observed) {
    try {
      byte[] bytes = observed == null || observed.isNullAt(0) ? null : (byte[]) observed.get(0);
      ChannelSketches sketches = bytes == null ? null : ChannelSketches.fromBytes(bytes);
      if (sketches != null && sketches.count() > 0) {
        shift.compare(id, sketches, null);
      }
    } catch (IOException | RuntimeException e) {
      shift.failed(id, new IllegalStateException("the covariate shift of micro-batch " + id + ": " + e.getMessage(),
          e));
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
