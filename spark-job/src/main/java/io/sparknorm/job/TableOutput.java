package io.sparknorm.job;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Where the rows go when that is a table: a Delta table at a path or in the catalog ({@link DeltaOutput}), or another
 * catalog table ({@link StagedTableOutput}). File outputs are {@link JobResults}' instead. One protocol: {@link #check}
 * before any data is read, {@link #write} as the run's one commit, {@link #close} to take away what a failed run left.
 */
interface TableOutput extends AutoCloseable {

  /** The table output the options name, or null when the output is files (or none). */
  static TableOutput of(JobOptions options, SparkSession spark, Configuration conf) {
    if (options.deltaOutput()) {
      return new DeltaOutput(options, spark, conf);
    }
    if (options.outputTable != null) {
      return new StagedTableOutput(options, spark, conf);
    }
    return null;
  }

  /** The output as the user named it, for messages: "output /t", "output table db.t". */
  String what();

  /**
   * Fails, before any data is read, where the write would: Delta absent, an existing output without --overwrite or
   * --append, a view, a folder that cannot be written.
   *
   * @throws IllegalArgumentException naming the output
   */
  void check() throws IOException;

  /** Writes the (counted) normalized rows, with {@code record} ({@link RunRecord}) saying how they were made. */
  void write(Dataset<Row> frame, String record) throws IOException;

  /** Takes away what this run left and no table refers to (staged files; a Delta folder this run began). */
  @Override
  void close();
}
