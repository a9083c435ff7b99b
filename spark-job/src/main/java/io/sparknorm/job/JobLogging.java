package io.sparknorm.job;

import java.util.List;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;

/**
 * The job's logging without --verbose: Spark's warnings and errors, and not the loggers that
 * repeat a failed task's exception with its stack trace several times over; the job's own error
 * line names the column, the row and the rule (--verbose shows them all). A stream's failure is
 * logged again with its stack trace by the query's execution, and stopping a query whose last
 * micro-batch is done warns that there was no job to cancel: neither says more than the job's lines.
 */
final class JobLogging {
  private static final List<String> TASK_FAILURE_LOGGERS = List.of("org.apache.spark.executor.Executor",
      "org.apache.spark.scheduler.TaskSetManager", "org.apache.spark.util.Utils",
      "org.apache.spark.sql.execution.datasources.FileFormatWriter",
      "org.apache.spark.sql.execution.datasources.FileFormatDataWriter",
      "org.apache.spark.sql.execution.streaming.runtime.MicroBatchExecution",
      "org.apache.spark.sql.execution.streaming.runtime.StreamExecution");
  private static final List<String> ERRORS_ONLY = List.of("org.apache.spark.scheduler.DAGScheduler");

  private JobLogging() {}

  /** Sets the levels through log4j 2 (Spark's backend); with another backend Spark's own configuration applies. */
  static void quiet() {
    try {
      Configurator.setRootLevel(Level.WARN);
      Configurator.setLevel("org.apache.spark", Level.WARN);
      for (String logger : TASK_FAILURE_LOGGERS) {
        Configurator.setLevel(logger, Level.OFF);
      }
      for (String logger : ERRORS_ONLY) {
        Configurator.setLevel(logger, Level.ERROR);
      }
    } catch (LinkageError | RuntimeException e) {
      // Another logging backend.
    }
  }
}
