package io.sparknorm.job;

import java.io.IOException;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A Delta table at a path ({@code --output PATH --output-format delta}) or in the catalog ({@code --output-table NAME
 * --output-format delta}), written in one Delta commit: Delta's commit is the atomic step, no staging folder. A failed
 * run commits nothing: the table stays at its version with the same rows. Written through Spark's writer by format
 * name, so that no Delta class is loaded here.
 */
final class DeltaOutput implements TableOutput {
  /** Delta's session setting of the commit metadata: saveAsTable does not hand writer options to every commit. */
  private static final String COMMIT_METADATA = "spark.databricks.delta.commitInfo.userMetadata";

  private final SparkSession spark;
  private final Configuration conf;
  private final String path;
  private final String table;
  private final boolean overwrite;
  private final boolean append;
  /** The path did not exist before this run: a failed run takes away the folder its write began. */
  private boolean began;
  private boolean committed;

  DeltaOutput(JobOptions options, SparkSession spark, Configuration conf) {
    this.spark = spark;
    this.conf = conf;
    this.path = options.output;
    this.table = options.outputTable;
    this.overwrite = options.overwrite;
    this.append = options.append;
  }

  @Override
  public String what() {
    return path != null ? "output " + path : "output table " + table;
  }

  @Override
  public void check() throws IOException {
    DeltaLake.require(spark, "--output-format delta", DeltaLake.loader());
    if (table != null) {
      CatalogTables.checkOutput(spark, table, "delta", overwrite, append);
      return;
    }
    Path target = new Path(path);
    FileSystem fs = target.getFileSystem(conf);
    if (DeltaLake.isTable(target, conf)) {
      if (!overwrite && !append) {
        throw new IllegalArgumentException(what() + " already exists; give --overwrite to write a new version of it"
            + " or --append to add rows");
      }
    } else if (holdsData(fs, target)) {
      throw new IllegalArgumentException(what() + " exists and is not a Delta table (it has no _delta_log); give"
          + " another path");
    } else {
      began = !fs.exists(target);
    }
    new StagedOutput(target, UUID.randomUUID().toString(), conf, what()).checkWritable();
  }

  /** A file, or a folder with an entry that is neither hidden nor Delta's ({@code _sparknorm}, a statistics file). */
  private static boolean holdsData(FileSystem fs, Path target) throws IOException {
    if (!fs.exists(target)) {
      return false;
    }
    if (!fs.getFileStatus(target).isDirectory()) {
      return true;
    }
    for (FileStatus entry : fs.listStatus(target)) {
      String name = entry.getPath().getName();
      if (!name.startsWith("_") && !name.startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void write(Dataset<Row> frame, String record) {
    String mode = append ? "append" : overwrite ? "overwrite" : "errorifexists";
    var writer = frame.write().format("delta").mode(mode).option("userMetadata", record);
    if (overwrite) {
      // A new version of the table replaces its rows, and its columns with them, as an output path's would be.
      writer = writer.option("overwriteSchema", "true");
    }
    String before = spark.conf().contains(COMMIT_METADATA) ? spark.conf().get(COMMIT_METADATA) : null;
    spark.conf().set(COMMIT_METADATA, record);
    try {
      if (path != null) {
        writer.save(path);
      } else {
        writer.saveAsTable(table);
      }
      committed = true;
    } finally {
      if (before != null) {
        spark.conf().set(COMMIT_METADATA, before);
      } else {
        spark.conf().unset(COMMIT_METADATA);
      }
    }
  }

  /**
   * A failed write into a new path leaves data files that no commit names: taken away while no table is there. In an
   * existing table they stay unnamed by any version (Delta never reads them; VACUUM removes them).
   */
  @Override
  public void close() {
    if (committed || !began) {
      return;
    }
    try {
      Path target = new Path(path);
      if (!DeltaLake.isTable(target, conf)) {
        target.getFileSystem(conf).delete(target, true);
      }
    } catch (IOException | RuntimeException ignored) {
      // The run fails either way; its error line names the cause.
    }
  }
}
