package io.sparknorm.job;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;

/**
 * The running statistics in the query's checkpoint, keyed by Spark's batch id: {@code <checkpoint>/sparknorm/running/<k>}
 * holds the state after micro-batch k. Batch k reads state k - 1, never "the latest", so a batch that Spark runs
 * again after a crash (same id, same input) recomputes the same state and overwrites it. Written whole or not at all
 * (a hidden temporary file renamed into place), through Hadoop's file system, so HDFS and object stores work.
 */
final class RunningStateStore {
  /** States kept below the one just written: the batch Spark may run again reads the one before it. */
  private static final int KEPT = 2;

  private final Path checkpoint;
  private final Path folder;
  private final Configuration conf;

  RunningStateStore(String checkpoint, Configuration conf) {
    this.checkpoint = new Path(checkpoint);
    this.folder = new Path(new Path(this.checkpoint, "sparknorm"), "running");
    this.conf = conf;
  }

  /** The state after batch {@code batchId}, or null when there is none. */
  RunningState read(long batchId) throws IOException {
    Path file = new Path(folder, Long.toString(batchId));
    FileSystem fs = file.getFileSystem(conf);
    if (!fs.exists(file)) {
      return null;
    }
    try (InputStream in = fs.open(file)) {
      return RunningState.fromBytes(in.readAllBytes());
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("the checkpoint " + checkpoint + " has a broken state of sparknorm's running"
          + " statistics for batch " + batchId + " (" + e.getMessage() + "); start a new --checkpoint", e);
    }
  }

  /**
   * The state before batch {@code batchId}: after {@code batchId - 1}, or null for batch 0 (the start).
   *
   * @throws IllegalStateException when an earlier batch has no state (the checkpoint was not made by this job with
   *     running statistics, or its state was deleted)
   */
  RunningState before(long batchId) throws IOException {
    if (batchId == 0) {
      return null;
    }
    RunningState state = read(batchId - 1);
    if (state == null) {
      boolean committed = checkpoint.getFileSystem(conf).exists(new Path(new Path(checkpoint, "commits"),
          Long.toString(batchId - 1)));
      throw new IllegalStateException("the checkpoint " + checkpoint + " lacks sparknorm's state of the running"
          + " statistics for batch " + (batchId - 1) + (committed ? ", which its commit log says was committed" : "")
          + "; start a new --checkpoint");
    }
    return state;
  }

  /** Writes the state after {@code batchId} (replacing one a crashed run wrote), then drops states below k - 2. */
  void write(long batchId, RunningState state) throws IOException {
    FileSystem fs = folder.getFileSystem(conf);
    fs.mkdirs(folder);
    replace(new Path(folder, Long.toString(batchId)), state.toBytes(), conf);
    for (FileStatus entry : fs.listStatus(folder)) {
      String name = entry.getPath().getName();
      if (name.matches("\\d{1,19}") && Long.parseLong(name) < batchId - KEPT) {
        fs.delete(entry.getPath(), false);
      }
    }
  }

  /**
   * An id for this query's sink that stays the same across restarts from this checkpoint (Delta's
   * {@code txnAppId}): made once, kept in the checkpoint.
   */
  String applicationId() throws IOException {
    Path file = new Path(new Path(checkpoint, "sparknorm"), "app-id");
    FileSystem fs = file.getFileSystem(conf);
    if (!fs.exists(file)) {
      fs.mkdirs(file.getParent());
      replace(file, ("sparknorm-" + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8), conf);
    }
    try (InputStream in = fs.open(file)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
    }
  }

  /** Writes a file to the path given. */
  interface FileWriter {
    void write(Path file) throws IOException;
  }

  /** Writes a file whole: to a hidden temporary file beside it, renamed over it in one step. */
  static void replace(Path file, Configuration conf, FileWriter writer) throws IOException {
    FileSystem fs = file.getFileSystem(conf);
    Path temporary = new Path(file.getParent(), "." + file.getName() + ".sparknorm-" + UUID.randomUUID());
    try {
      writer.write(temporary);
      FileContext.getFileContext(fs.getUri(), conf).rename(fs.makeQualified(temporary), fs.makeQualified(file),
          Options.Rename.OVERWRITE);
    } finally {
      if (fs.exists(temporary)) {
        fs.delete(temporary, false);
      }
    }
  }

  private static void replace(Path file, byte[] content, Configuration conf) throws IOException {
    replace(file, conf, temporary -> {
      try (OutputStream out = temporary.getFileSystem(conf).create(temporary, false)) {
        out.write(content);
      }
    });
  }
}
