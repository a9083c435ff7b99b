package io.sparknorm.job;

import java.io.IOException;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.DataStreamWriter;
import org.apache.spark.sql.streaming.StreamingQuery;

/**
 * Where the stream's rows go, exactly once: files in a folder (Spark's file sink, whose {@code _spark_metadata} log
 * names the files of the committed micro-batches, and which readers of the folder through Spark follow), or a Delta
 * table at a path or in the catalog (Delta's sink commits each micro-batch once, by the query's id and the batch id).
 */
final class StreamSink {
  private final SparkSession spark;
  private final Configuration conf;
  private final String path;
  private final String table;
  /** parquet, json, csv, orc or delta. */
  private final String format;
  private final boolean append;
  /** The output did not exist before this run: a run that committed nothing takes it away. */
  private boolean began;

  StreamSink(JobOptions o, SparkSession spark, Configuration conf) {
    this.spark = spark;
    this.conf = conf;
    this.path = o.output;
    this.table = o.outputTable;
    this.format = Formats.formatOf(o.outputFormat, "output-format", false);
    this.append = o.append;
  }

  String format() {
    return format;
  }

  private String what() {
    return path != null ? "output " + path : "output table " + table;
  }

  /**
   * Fails, before any data is read, where the stream must not write: Delta absent; an output that holds another run's
   * rows while the checkpoint is new (the file sink would take that run's log for this one's, Delta would mix the
   * rows; {@code --append} adds a new stream's rows to a Delta table on purpose); an output gone while the checkpoint
   * says micro-batches were committed to it; a folder that cannot be written.
   *
   * @param fresh whether the checkpoint has no micro-batch planned yet
   * @param committed whether the checkpoint has a micro-batch committed
   */
  void check(boolean fresh, boolean committed, String checkpoint) throws IOException {
    boolean delta = format.equals("delta");
    if (delta) {
      DeltaLake.require(spark, "--output-format delta", DeltaLake.loader());
    }
    boolean exists;
    if (table != null) {
      exists = CatalogTables.exists(spark, table);
      began = !exists;
    } else {
      Path target = new Path(path);
      FileSystem fs = target.getFileSystem(conf);
      exists = delta ? DeltaLake.isTable(target, conf) : fs.exists(target) && fs.listStatus(target).length > 0;
      began = !fs.exists(target);
      new StagedOutput(target, UUID.randomUUID().toString(), conf, what()).checkWritable();
    }
    if (exists && fresh && !(delta && append)) {
      throw new IllegalArgumentException(what() + " already exists and checkpoint " + checkpoint + " is new: the"
          + " stream would mix its rows with another run's; give a new --output, or the --checkpoint of the stream"
          + " that wrote it" + (delta ? " (or --append to add this stream's rows to the Delta table)" : ""));
    }
    if (!exists && committed) {
      throw new IllegalArgumentException(what() + " does not exist, but checkpoint " + checkpoint + " has"
          + " micro-batches committed to it: their rows would be missing; give a new --checkpoint to start again");
    }
  }

  /** Starts the query writing the (prepared) normalized rows. */
  StreamingQuery start(DataStreamWriter<Row> writer, String outputCol, BooleanSupplier plainValues)
      throws Exception {
    writer = writer.outputMode("append").format(format);
    if (table != null) {
      return writer.toTable(table);
    }
    if (!format.equals("delta")) {
      writer = writer.options(Formats.writerOptions(format, outputCol, plainValues));
    }
    return writer.start(path);
  }

  /** Takes away the output when this run began it and committed nothing (a failed first micro-batch). */
  void removeIfBegan() {
    if (!began) {
      return;
    }
    try {
      if (table != null) {
        spark.sql("DROP TABLE IF EXISTS " + table);
      } else {
        Path target = new Path(path);
        target.getFileSystem(conf).delete(target, true);
      }
    } catch (IOException | RuntimeException ignored) {
      // The run fails either way; its error line names the cause.
    }
  }
}
