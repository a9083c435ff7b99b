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
 *
 * <p>A catalog table is written at its location, by path: Spark's create-table-as-select runs the write as a query
 * nested in a command, whose row counts the job's observation never receives. A new one is written beside the
 * database's tables and then named in the catalog ({@code CREATE TABLE .. USING delta LOCATION}, no further commit):
 * an external table.
 */
final class DeltaOutput implements TableOutput {
  private final SparkSession spark;
  private final Configuration conf;
  private String path;
  private final String table;
  /** A catalog table that does not exist yet: named in the catalog after its first commit. */
  private boolean register;
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
      register = !CatalogTables.exists(spark, table);
      path = DeltaLake.location(spark, table);
    }
    Path target = new Path(path);
    FileSystem fs = target.getFileSystem(conf);
    if (DeltaLake.isTable(target, conf)) {
      if (register) {
        throw new IllegalArgumentException(what() + ": its location " + path + " holds a Delta table that the catalog"
            + " does not name; give another name, or name that table (CREATE TABLE .. USING delta LOCATION)");
      }
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
    writer.save(path);
    committed = true;
    if (register) {
      spark.sql("CREATE TABLE " + table + " USING delta LOCATION '" + path.replace("\\", "\\\\").replace("'", "\\'")
          + "'");
    }
  }

  /**
   * A failed write into a new path leaves data files that no commit names: taken away while no table is there. In an
   * existing table they stay unnamed by any version (Delta never reads them; VACUUM removes them).
   */
  @Override
  public void close() {
    if (committed || !began || path == null) {
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
