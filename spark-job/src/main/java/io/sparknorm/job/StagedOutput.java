package io.sparknorm.job;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;

/**
 * A result written beside its final path under a hidden, unique name ({@code .NAME.sparknorm-UUID}),
 * then moved into place with one rename. A failed job deletes its staging path; a killed one
 * leaves at most that hidden folder, which later runs ignore (and anyone may delete). The rename
 * never merges into a path that appeared meanwhile: of two jobs racing for one output, one wins
 * and the other fails, and the output is one job's whole result.
 */
final class StagedOutput {
  private final Path target;
  private final Path staging;
  private final Configuration conf;
  private final String what;
  private boolean committed;

  /**
   * @param what how the user named the target, for messages: "output /x", "stats-out /y"
   */
  StagedOutput(Path target, String unique, Configuration conf, String what) {
    this.target = target;
    this.staging = new Path(target.getParent(), "." + target.getName() + ".sparknorm-" + unique);
    this.conf = conf;
    this.what = what;
  }

  /**
   * Fails now, before any data is read, when the result could not be written beside the target (a folder the user
   * may not write, a file where a folder should be): creates and deletes an empty file at the staging name.
   *
   * @throws IllegalArgumentException naming the target and the file system's reason
   */
  void checkWritable() {
    try {
      FileSystem fs = staging.getFileSystem(conf);
      fs.create(staging, false).close();
      fs.delete(staging, false);
    } catch (IOException e) {
      String reason = String.valueOf(e.getMessage()).lines().findFirst().orElse(e.getClass().getSimpleName());
      throw new IllegalArgumentException(what + ": cannot write there: " + reason, e);
    }
  }

  /** Where to write the result. */
  Path staging() {
    return staging;
  }

  /**
   * Moves the staged result to the target. With {@code overwrite} an existing target is deleted
   * first; without it, a target that appeared while the job ran (another job's) fails this one.
   */
  void commit(boolean overwrite) throws IOException {
    FileSystem fs = target.getFileSystem(conf);
    Path from = fs.makeQualified(staging);
    Path to = fs.makeQualified(target);
    if (fs.exists(to)) {
      if (!overwrite) {
        throw new IllegalStateException(what + " was created by someone else while this job ran; nothing of this run"
            + " was kept (give --overwrite to replace it)");
      }
      fs.delete(to, true);
    }
    try {
      // FileContext's rename with Rename.NONE refuses an existing target; FileSystem.rename would move a folder INTO it.
      FileContext.getFileContext(fs.getUri(), conf).rename(from, to, Options.Rename.NONE);
    } catch (FileAlreadyExistsException e) {
      throw new IllegalStateException(what + " was created by another job while this one moved its result into place;"
          + " nothing of this run was kept");
    }
    committed = true;
  }

  /**
   * Takes a committed result away again, when a later step of the same job failed (the statistics file could not be
   * moved into place): a failed job leaves nothing behind.
   */
  void withdraw() {
    if (!committed) {
      return;
    }
    try {
      target.getFileSystem(conf).delete(target, true);
    } catch (IOException | RuntimeException ignored) {
      // The job fails either way; its error line names the cause.
    }
  }

  /** Deletes the staging path unless committed; best effort (it is hidden and uniquely named). */
  void abort() {
    if (committed) {
      return;
    }
    try {
      staging.getFileSystem(conf).delete(staging, true);
    } catch (IOException | RuntimeException ignored) {
      // Nothing more to do: a later run ignores it.
    }
  }
}
