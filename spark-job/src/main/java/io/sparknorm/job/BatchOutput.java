package io.sparknorm.job;

import java.io.IOException;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A stream's output written once per micro-batch from a {@code foreachBatch} function (running statistics, and a
 * per-row stream with {@code --fail-on-shift}), whatever Spark runs again after a crash (the same batch id, the same
 * rows):
 * <ul>
 *   <li>files (parquet, json, csv, orc, encoded as the batch job writes them): each batch in its own folder
 *       {@code <output>/batch_id=<k>/}, written under a hidden name beside it and renamed into place in one step; a
 *       batch whose folder exists is complete and is not written again. Reading {@code <output>} with Spark gives
 *       every row once, with the column {@code batch_id} (Spark's partition discovery);
 *   <li>Delta (a path or a catalog table): appended with Delta's idempotent writes, {@code txnAppId} (an id kept in
 *       the checkpoint) and {@code txnVersion} (the batch id): Delta skips a version it has committed for that id.
 * </ul>
 */
final class BatchOutput {
  /** The column that the folders of file outputs give each row. */
  static final String BATCH_COLUMN = "batch_id";
  private static final String STAGING_MARK = ".sparknorm-";

  private final SparkSession spark;
  private final Configuration conf;
  private final String format;
  private final String path;
  private final String table;
  private final String applicationId;

  private BatchOutput(SparkSession spark, Configuration conf, String format, String path, String table,
      String applicationId) {
    this.spark = spark;
    this.conf = conf;
    this.format = format;
    this.path = path;
    this.table = table;
    this.applicationId = applicationId;
  }

  /**
   * The stream's output the options name, ready for its first micro-batch: a Delta output checked to be usable (Delta
   * in the session) with its {@code txnAppId} kept in the checkpoint; the hidden folders a killed run left in a file
   * output taken away.
   *
   * @throws IllegalArgumentException for an output table that is not Delta, or Delta missing from the session
   */
  static BatchOutput forStream(JobOptions options, SparkSession spark, Configuration conf) throws IOException {
    String format = Formats.formatOf(options.outputFormat, "output-format", false);
    if (options.outputTable != null && !format.equals("delta")) {
      throw new IllegalArgumentException("--output-table with --stream --momentum or --fail-on-shift is written batch"
          + " by batch: give --output-format delta");
    }
    String applicationId = null;
    if (format.equals("delta")) {
      DeltaLake.require(spark, "--output-format delta", DeltaLake.loader());
      applicationId = new RunningStateStore(options.stream.checkpoint, conf).applicationId();
    }
    String path = options.outputTable != null ? DeltaLake.location(spark, options.outputTable) : options.output;
    BatchOutput output = new BatchOutput(spark, conf, format, path, options.outputTable, applicationId);
    output.removeUnfinished();
    return output;
  }

  /** Takes away the hidden folders of batches that a killed run began and never renamed into place. */
  private void removeUnfinished() throws IOException {
    if (format.equals("delta")) {
      return;
    }
    Path folder = new Path(path);
    FileSystem fs = folder.getFileSystem(conf);
    if (!fs.exists(folder)) {
      return;
    }
    for (FileStatus entry : fs.listStatus(folder)) {
      String name = entry.getPath().getName();
      if (name.startsWith("." + BATCH_COLUMN + "=") && name.contains(STAGING_MARK)) {
        fs.delete(entry.getPath(), true);
      }
    }
  }

  /**
   * Writes one micro-batch's normalized rows, unless they are there already.
   *
   * @param record how the rows were made, for Delta's commit ({@link RunRecord})
   * @return false when the batch had been written (by an earlier run of the same batch id)
   */
  boolean write(Dataset<Row> frame, String outputCol, long batchId, String record) throws IOException {
    if (format.equals("delta")) {
      return writeDelta(frame, batchId, record);
    }
    Path target = new Path(path, BATCH_COLUMN + "=" + batchId);
    FileSystem fs = target.getFileSystem(conf);
    if (fs.exists(target)) {
      return false;
    }
    Path staging = new Path(path, "." + target.getName() + STAGING_MARK + UUID.randomUUID());
    try {
      // Every micro-batch has statistics of its own, so its values hardly repeat: plain encoding, as the replay's.
      Formats.write(frame, format, outputCol, staging, () -> true);
      try {
        FileContext.getFileContext(fs.getUri(), conf).rename(fs.makeQualified(staging), fs.makeQualified(target),
            Options.Rename.NONE);
      } catch (FileAlreadyExistsException e) {
        return false;
      }
      return true;
    } finally {
      if (fs.exists(staging)) {
        fs.delete(staging, true);
      }
    }
  }

  private boolean writeDelta(Dataset<Row> frame, long batchId, String record) {
    frame.write().format("delta").mode("append").option("txnAppId", applicationId)
        .option("txnVersion", batchId).option("userMetadata", record).save(path);
    if (table != null && !spark.catalog().tableExists(table)) {
      spark.sql("CREATE TABLE " + table + " USING delta LOCATION '" + path.replace("\\", "\\\\").replace("'", "\\'")
          + "'");
    }
    return true;
  }
}
