package io.sparknorm.job;

import io.sparknorm.core.NormMethod;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.sql.types.StructType;
import picocli.CommandLine.Option;

/**
 * The options of {@code --stream} (a mixin of {@link JobOptions}), and which of the job's other options a stream
 * takes: every check here needs no data.
 */
final class StreamOptions {
  static final String AVAILABLE_NOW = "available-now";
  static final String PROCESSING_TIME = "processing-time:";
  private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)");

  @Option(names = "--stream", description = "Read --input (a folder that files arrive in, or a Delta table) or"
      + " --input-table (Delta) as a stream: each micro-batch normalized and appended to the output once, exactly once"
      + " through failures and restarts with the same --checkpoint.")
  boolean stream;

  @Option(names = "--checkpoint", paramLabel = "DIR", description = "With --stream (required there): where the"
      + " stream keeps its progress (Spark's checkpoint); a restart with the same DIR continues where the last"
      + " committed micro-batch ended. A checkpoint of another normalization is refused.")
  String checkpoint;

  @Option(names = "--trigger", paramLabel = "T", description = "With --stream: available-now (default: process the"
      + " files or table versions there at the start, in micro-batches, then stop) or processing-time:<duration> (a"
      + " micro-batch every 10s, 500ms, 1m..; runs until stopped, and on SIGTERM stops after the current"
      + " micro-batch).")
  String trigger;

  @Option(names = "--max-files-per-trigger", paramLabel = "N", description = "With --stream: at most N input files"
      + " per micro-batch (Spark's maxFilesPerTrigger; Delta's too).")
  Integer maxFilesPerTrigger;

  @Option(names = "--schema", paramLabel = "DDL", description = "With --stream over files: the input's columns, e.g."
      + " 'id BIGINT, features ARRAY<DOUBLE>'. Default: inferred once from the files present, and stated on"
      + " standard error.")
  String schema;

  /** The Spark trigger of {@link #trigger}, checked by {@link #check}. */
  Trigger sparkTrigger() {
    String text = trigger == null ? AVAILABLE_NOW : trigger.strip().toLowerCase(Locale.ROOT);
    if (text.equals(AVAILABLE_NOW)) {
      return Trigger.AvailableNow();
    }
    return Trigger.ProcessingTime(intervalMs(text));
  }

  /** Whether the stream runs until stopped (a processing-time trigger). */
  boolean runsUntilStopped() {
    return trigger != null && !trigger.strip().toLowerCase(Locale.ROOT).equals(AVAILABLE_NOW);
  }

  /** The schema of {@link #schema}, or null; checked by {@link #check}. */
  StructType parsedSchema() {
    return schema == null ? null : StructType.fromDDL(schema);
  }

  private long intervalMs(String text) {
    Matcher matcher = text.startsWith(PROCESSING_TIME) ? DURATION.matcher(text.substring(PROCESSING_TIME.length()))
        : null;
    if (matcher == null || !matcher.matches()) {
      throw new IllegalArgumentException("--trigger '" + trigger + "' is neither " + AVAILABLE_NOW + " nor "
          + PROCESSING_TIME + "<duration> (such as processing-time:10s, 500ms, 1m or 1h)");
    }
    long amount = Long.parseLong(matcher.group(1));
    long unit = switch (matcher.group(2)) {
      case "ms" -> 1;
      case "s" -> 1_000;
      case "m" -> 60_000;
      default -> 3_600_000;
    };
    if (amount == 0) {
      throw new IllegalArgumentException("--trigger '" + trigger + "': the interval must be more than 0");
    }
    return amount * unit;
  }

  /** Without --stream: none of the stream's own options. */
  void refuseWithoutStream() {
    String given = checkpoint != null ? "--checkpoint" : trigger != null ? "--trigger"
        : maxFilesPerTrigger != null ? "--max-files-per-trigger" : schema != null ? "--schema" : null;
    if (given != null) {
      throw new IllegalArgumentException(given + " is only for --stream");
    }
  }

  /**
   * With --stream: the stream's options, and the job's options that a stream cannot take, each refused with why.
   *
   * @throws IllegalArgumentException naming the option
   */
  void check(JobOptions o, NormMethod method) {
    if (checkpoint == null) {
      throw new IllegalArgumentException("--stream needs --checkpoint DIR: where the stream keeps its progress, so"
          + " that a restart continues exactly where it stopped");
    }
    refuse(o.statsOnly, "--stats-only", "a stream's statistics are never final; give --method batch --momentum M"
        + " with --stats-out for running statistics");
    refuse(o.batchSize != null, "--batch-size", "each micro-batch is a mini-batch (--method batch --momentum M)");
    refuse(o.orderBy != null, "--order-by", "a stream's rows are taken as they arrive");
    refuse(o.report != null, "--report", "its histograms are over the whole input, and a stream never ends");
    refuse(o.scale != null, "--scale", "it is only for --stats-only");
    refuse(o.overwrite, "--overwrite", "a stream appends to its output, and a restart with the same --checkpoint"
        + " continues it; give a new --output and --checkpoint to start again");
    refuse(o.inputFormat != null && o.inputFormat.strip().equalsIgnoreCase("image"), "--input-format image",
        "Spark's image source cannot be read as a stream");
    boolean running = method == NormMethod.BATCH && o.momentum != null;
    refuse(o.statsOut != null && !running, "--stats-out without running statistics",
        "statistics fitted over a whole stream are never final; --method batch --momentum M writes the running"
            + " statistics after each micro-batch");
    if (o.momentum != null && method != NormMethod.BATCH) {
      throw new IllegalArgumentException("--momentum is only for batch norm, not " + method.id());
    }
    if (method == NormMethod.BATCH && o.statsIn == null && o.momentum == null) {
      throw new IllegalArgumentException("--method batch with --stream needs --stats-in FILE (normalize with fixed"
          + " statistics, PyTorch's evaluation mode) or --momentum M|none (each micro-batch with its own statistics,"
          + " running statistics kept, PyTorch's training mode)");
    }
    refuse(o.shift.profileOut != null, "--profile-out", "a stream never ends, so the profile of all its rows is never"
        + " final; profile the rows with the batch job (--profile-out over the input's files, or the stream's output)");
    refuse(o.shift.shiftFrom != null && o.by != null, "--by with --shift-from", "a stream compares each"
        + " micro-batch's rows as one population with the profile's; compare per key with the batch job");
    if (running && o.by != null) {
      throw new IllegalArgumentException("--by and --momentum do not go together: a stream keeps one set of running"
          + " statistics");
    }
    if (o.outputTable != null && !o.deltaOutput()) {
      throw new IllegalArgumentException("--output-table with --stream takes --output-format delta only: Delta's"
          + " commit of each micro-batch is what makes a table exactly once; give --output PATH for "
          + o.outputFormat.strip().toLowerCase(Locale.ROOT) + " files");
    }
    if (maxFilesPerTrigger != null && maxFilesPerTrigger < 1) {
      throw new IllegalArgumentException("--max-files-per-trigger is " + maxFilesPerTrigger + ", must be at least 1");
    }
    sparkTrigger();
    if (schema != null) {
      boolean delta = o.inputTable != null || o.inputFormat != null
          && o.inputFormat.strip().equalsIgnoreCase("delta");
      if (delta) {
        throw new IllegalArgumentException("--schema is for files: a " + (o.inputTable != null ? "table" : "Delta"
            + " table") + " has its own schema");
      }
      try {
        parsedSchema();
      } catch (Exception e) {
        // Spark's ParseException: an AnalysisException, checked in Java's eyes.
        String reason = String.valueOf(e.getMessage()).strip().lines().findFirst().orElse("");
        throw new IllegalArgumentException("--schema '" + schema + "' is not a schema in Spark's DDL (such as 'id"
            + " BIGINT, features ARRAY<DOUBLE>'): " + reason);
      }
    }
  }

  private static void refuse(boolean given, String option, String why) {
    if (given) {
      throw new IllegalArgumentException(option + " is not for --stream: " + why);
    }
  }
}
