package io.sparknorm.job;

import java.io.PrintStream;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.StageInfo;
import org.apache.spark.util.AccumulatorV2;
import scala.Tuple4;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The job's progress lines on standard error: while the job runs, every few seconds one line
 *
 * <pre>
 * sparknorm: progress stage=statistics rows=1234567 rows_per_s=250000 stage_seconds=4.9 seconds=12.3
 * </pre>
 *
 * <p>{@code stage} is what the job is doing ({@link #SCHEMA}, {@link #SHAPE}, {@link #PROFILE}, {@link #STATISTICS},
 * {@link #NORMALIZE_AND_WRITE}, {@link #NORMALIZE}, {@link #LOCATE}); {@code rows} the rows read
 * from the input in that stage so far (a stage that reads the input more than once, as the
 * mini-batch replay's statistics do, counts every read; the count never goes back, not even when
 * a failed task's rows are read again by its retry); {@code rows_per_s} those rows over
 * {@code stage_seconds}, the time since the stage began; {@code seconds} the time since the job
 * began, as in the summary line. Integers are plain digits and decimals have a point, whatever the
 * locale; every field is {@code key=value} with no space inside, and fields may be added at the end.
 * The first line comes one interval after the start, so a job shorter than that prints none; no
 * line starts with {@code error:} and nothing goes to standard output. {@code --quiet} turns the
 * lines off.
 *
 * <p>The rows come from Spark itself, no extra pass over the data: a {@link SparkListener} adds up
 * the input records ({@code inputMetrics().recordsRead()}) of the finished tasks of the Spark jobs
 * this run labelled with its stage, plus the running tasks' counts so far that the executors' heartbeats
 * carry ({@code spark.executor.heartbeatInterval}, 10 s by default; local mode sends them too), so that
 * long tasks show progress before they end. Jobs of other threads sharing the session are not counted.
 *
 * <p>The interval is 5 s; the system property {@value #INTERVAL_PROPERTY} (milliseconds) sets another,
 * for tests. The listener is removed, the printing thread ({@value #THREAD_NAME}) stopped and the
 * thread's local properties restored by {@link #close}.
 */
final class Progress implements AutoCloseable {
  /** Reading the input's schema: JSON, and CSV with header, read the whole input for it. */
  static final String SCHEMA = "schema";
  /** The first valid row's length, when no shape is given (a small job). */
  static final String SHAPE = "shape";
  /** The input's profile in a pass of its own (--profile-out or --shift-from with --by, or before a table's write). */
  static final String PROFILE = "profile";
  /** Batch norm's statistics: the fit, per key with --by, the mini-batch replay's passes. */
  static final String STATISTICS = "statistics";
  /** The per-row normalization, written to the output. */
  static final String NORMALIZE_AND_WRITE = "normalize-and-write";
  /** The per-row normalization run to count the rows, writing nothing (--stats-only with --batch-size). */
  static final String NORMALIZE = "normalize";
  /** After a failure: finding the row that broke a rule, for the error line. */
  static final String LOCATE = "locate";

  static final String PREFIX = "sparknorm: progress ";
  static final String INTERVAL_PROPERTY = "sparknorm.progress.intervalMs";
  static final long DEFAULT_INTERVAL_MS = 5_000;
  static final String THREAD_NAME = "sparknorm-progress";

  private static final String RUN_PROPERTY = "sparknorm.progress.run";
  private static final String STAGE_PROPERTY = "sparknorm.progress.stage";
  private static final String RECORDS_READ = "internal.metrics.input.recordsRead";

  private final SparkContext context;
  private final PrintStream err;
  private final long jobStart;
  private final String run = UUID.randomUUID().toString();
  private final Listener listener;
  private final ScheduledExecutorService printer;
  private final String[] previous;

  // Guarded by this: the current stage and when it began; rows per stage from finished tasks, and
  // the running tasks' counts from heartbeats.
  private String stage;
  private long stageStart;
  private final Map<Integer, String> stageOfSparkStage = new HashMap<>();
  private final Map<String, Long> finishedRows = new HashMap<>();
  private final Map<String, Long> shownRows = new HashMap<>();
  private final Map<Long, RunningTask> runningTasks = new HashMap<>();
  private final Set<Long> endedTasks = new HashSet<>();
  private final Set<Long> recordsReadIds = new HashSet<>();
  private long heartbeatUpdates;
  private boolean closed;

  private record RunningTask(String stage, long rows) {}

  private Progress(SparkContext context, PrintStream err, long jobStart, boolean print, long intervalMs) {
    this.context = context;
    this.err = err;
    this.jobStart = jobStart;
    this.previous = new String[] {context.getLocalProperty(RUN_PROPERTY), context.getLocalProperty(STAGE_PROPERTY)};
    if (print) {
      listener = new Listener();
      context.addSparkListener(listener);
      printer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, THREAD_NAME);
        thread.setDaemon(true);
        return thread;
      });
      printer.scheduleAtFixedRate(this::print, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
    } else {
      listener = null;
      printer = null;
    }
  }

  /**
   * Starts the lines for a job that began at {@code jobStart} ({@link System#nanoTime}); with
   * {@code quiet}, a progress that does nothing.
   */
  static Progress start(SparkContext context, PrintStream err, long jobStart, boolean quiet) {
    return new Progress(context, err, jobStart, !quiet, interval());
  }

  /** The interval between lines: {@value #INTERVAL_PROPERTY} milliseconds, else 5 s. */
  static long interval() {
    String given = System.getProperty(INTERVAL_PROPERTY);
    if (given != null) {
      try {
        long ms = Long.parseLong(given.strip());
        if (ms > 0) {
          return ms;
        }
      } catch (NumberFormatException e) {
        // The default below.
      }
    }
    return DEFAULT_INTERVAL_MS;
  }

  /**
   * From now on the Spark jobs of this thread belong to {@code name}; its rows and rate start from
   * zero.
   */
  void stage(String name) {
    if (listener == null) {
      return;
    }
    synchronized (this) {
      stage = name;
      stageStart = System.nanoTime();
    }
    // Labels of this run's jobs, in private local properties: not the job description, which would
    // replace the call site ("save at NormalizeJob.java:..") that names Spark's SQL executions.
    context.setLocalProperty(RUN_PROPERTY, run);
    context.setLocalProperty(STAGE_PROPERTY, name);
  }

  /**
   * Rows read so far in {@code name}: finished tasks, and running ones as of their last heartbeat.
   * Never less than the last answer: a failed task's rows leave the count until its retry has read
   * them again, and meanwhile the count stands still rather than going back.
   */
  synchronized long rows(String name) {
    long rows = finishedRows.getOrDefault(name, 0L);
    for (RunningTask task : runningTasks.values()) {
      if (task.stage().equals(name)) {
        rows += task.rows();
      }
    }
    return shownRows.merge(name, rows, Math::max);
  }

  /** How many running tasks' counts heartbeats brought (0 when the executors sent none). */
  synchronized long heartbeatUpdates() {
    return heartbeatUpdates;
  }

  /** The progress line, as printed. */
  static String line(String stage, long rows, double stageSeconds, double seconds) {
    double rate = stageSeconds > 0 ? rows / stageSeconds : 0;
    return String.format(Locale.ROOT, PREFIX + "stage=%s rows=%d rows_per_s=%.0f stage_seconds=%.1f seconds=%.1f",
        stage, rows, rate, stageSeconds, seconds);
  }

  private void print() {
    try {
      String name;
      long rows;
      long now = System.nanoTime();
      double stageSeconds;
      synchronized (this) {
        if (closed || stage == null) {
          return;
        }
        name = stage;
        rows = rows(name);
        stageSeconds = (now - stageStart) / 1e9;
      }
      err.println(line(name, rows, stageSeconds, (now - jobStart) / 1e9));
    } catch (RuntimeException e) {
      // A progress line is never worth failing or stopping the job for.
    }
  }

  /** Stops the lines, removes the listener and restores the thread's local properties; again, does nothing. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    if (printer != null) {
      printer.shutdownNow();
      try {
        printer.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (listener != null) {
      try {
        context.removeSparkListener(listener);
      } catch (RuntimeException e) {
        // A stopped context has no listeners left.
      }
      context.setLocalProperty(RUN_PROPERTY, previous[0]);
      context.setLocalProperty(STAGE_PROPERTY, previous[1]);
    }
  }

  /** On Spark's listener bus thread: which Spark stages are this run's, and their tasks' input records. */
  private final class Listener extends SparkListener {
    @Override
    public void onJobStart(SparkListenerJobStart jobStart) {
      Properties properties = jobStart.properties();
      if (properties == null || !run.equals(properties.getProperty(RUN_PROPERTY))) {
        return;
      }
      String name = properties.getProperty(STAGE_PROPERTY);
      if (name == null) {
        return;
      }
      synchronized (Progress.this) {
        for (StageInfo info : CollectionConverters.asJava(jobStart.stageInfos())) {
          stageOfSparkStage.putIfAbsent(info.stageId(), name);
        }
      }
    }

    /**
     * The id of the stage attempt's records-read accumulator: heartbeats carry the running tasks'
     * internal metrics by id only (executors do not get their names).
     */
    @Override
    public void onStageSubmitted(SparkListenerStageSubmitted submitted) {
      StageInfo info = submitted.stageInfo();
      synchronized (Progress.this) {
        if (!stageOfSparkStage.containsKey(info.stageId()) || info.taskMetrics() == null) {
          return;
        }
        try {
          // TaskMetrics.accumulators() is Spark-internal (private[spark]), hence the guard.
          for (AccumulatorV2<?, ?> accumulator : CollectionConverters.asJava(info.taskMetrics().accumulators())) {
            if (accumulator.name().isDefined() && RECORDS_READ.equals(accumulator.name().get())) {
              recordsReadIds.add(accumulator.id());
            }
          }
        } catch (LinkageError | RuntimeException e) {
          // Another Spark: the ids come from the first finished task (onTaskEnd) instead.
        }
      }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd taskEnd) {
      synchronized (Progress.this) {
        String name = stageOfSparkStage.get(taskEnd.stageId());
        if (name == null) {
          return;
        }
        for (AccumulableInfo info : CollectionConverters.asJava(taskEnd.taskInfo().accumulables())) {
          if (info.name().isDefined() && RECORDS_READ.equals(info.name().get())) {
            recordsReadIds.add(info.id());
          }
        }
        long taskId = taskEnd.taskInfo().taskId();
        runningTasks.remove(taskId);
        endedTasks.add(taskId);
        // A failed or killed attempt's rows are read again by the attempt that succeeds.
        if (taskEnd.taskInfo().successful() && taskEnd.taskMetrics() != null) {
          finishedRows.merge(name, taskEnd.taskMetrics().inputMetrics().recordsRead(), Long::sum);
        }
      }
    }

    @Override
    public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
      synchronized (Progress.this) {
        for (Tuple4<Object, Object, Object, scala.collection.immutable.Seq<AccumulableInfo>> task
            : CollectionConverters.asJava(update.accumUpdates())) {
          long taskId = ((Number) task._1()).longValue();
          String name = stageOfSparkStage.get(((Number) task._2()).intValue());
          if (name == null || endedTasks.contains(taskId)) {
            continue;
          }
          for (AccumulableInfo info : CollectionConverters.asJava(task._4())) {
            boolean recordsRead = recordsReadIds.contains(info.id())
                || info.name().isDefined() && RECORDS_READ.equals(info.name().get());
            if (recordsRead && info.update().isDefined() && info.update().get() instanceof Number rows) {
              runningTasks.put(taskId, new RunningTask(name, rows.longValue()));
              heartbeatUpdates++;
            }
          }
        }
      }
    }
  }
}
