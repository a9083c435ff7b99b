package io.sparknorm.job;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.PathFilter;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.streaming.checkpointing.CheckpointFileManager;

/**
 * Holds a per-row stream with {@code --fail-on-shift} at each micro-batch until the covariate shift of the one before
 * is decided. Spark reports a micro-batch's observed values (its sketches) to listeners after the micro-batch
 * committed, on another thread, while the query goes straight on to plan the next; the first thing the next does is
 * write its offsets to {@code <checkpoint>/offsets/<k>}. This checkpoint file manager (Spark's
 * {@code spark.sql.streaming.checkpointFileManagerClass}, set while the job runs) waits there for the
 * decision on micro-batch k - 1 and fails the query when it shifted: micro-batch k is then not even planned. Every
 * other file, and every other query's, goes to Spark's own manager unchanged.
 *
 * <p>Public only because Spark instantiates it by name; not for users.
 */
public final class StreamShiftGate implements CheckpointFileManager {
  static final String CONF = "spark.sql.streaming.checkpointFileManagerClass";
  private static final Map<String, StreamShift> GATED = new ConcurrentHashMap<>();

  private final CheckpointFileManager spark;

  /** What Spark calls, for each of a query's logs. */
  public StreamShiftGate(Path path, Configuration conf) {
    Configuration own = new Configuration(conf);
    own.unset(CONF);
    this.spark = CheckpointFileManager.create(path, own);
  }

  /**
   * Gates the stream of this checkpoint on the shift's decisions, with this manager in the session's settings (Spark
   * makes a query's logs, and their managers, as it starts it); the returned handle takes both away.
   */
  static Runnable gate(SparkSession session, String checkpoint, Configuration conf, StreamShift shift) {
    String key = key(new Path(checkpoint), conf);
    GATED.put(key, shift);
    String before = session.conf().get(CONF, null);
    session.conf().set(CONF, StreamShiftGate.class.getName());
    return () -> {
      GATED.remove(key);
      if (before == null) {
        session.conf().unset(CONF);
      } else {
        session.conf().set(CONF, before);
      }
    };
  }

  private static String key(Path path, Configuration conf) {
    try {
      return path.getFileSystem(conf).makeQualified(path).toUri().getPath();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public CancellableFSDataOutputStream createAtomic(Path path, boolean overwriteIfPossible) {
    Path log = path.getParent();
    if (log != null && log.getName().equals("offsets") && path.getName().matches("\\d{1,18}")
        && log.getParent() != null) {
      StreamShift shift = GATED.get(log.getParent().toUri().getPath());
      if (shift != null) {
        try {
          shift.awaitDecision(Long.parseLong(path.getName()) - 1);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("stopped while waiting for the covariate shift of the micro-batch before "
              + path.getName(), e);
        }
      }
    }
    return spark.createAtomic(path, overwriteIfPossible);
  }

  @Override
  public FSDataInputStream open(Path path) {
    return spark.open(path);
  }

  @Override
  public FileStatus[] list(Path path, PathFilter filter) {
    return spark.list(path, filter);
  }

  @Override
  public void mkdirs(Path path) {
    spark.mkdirs(path);
  }

  @Override
  public boolean exists(Path path) {
    return spark.exists(path);
  }

  @Override
  public void delete(Path path) {
    spark.delete(path);
  }

  @Override
  public boolean isLocal() {
    return spark.isLocal();
  }

  @Override
  public Path createCheckpointDirectory() {
    return spark.createCheckpointDirectory();
  }

  @Override
  public void close() {
    spark.close();
  }
}
