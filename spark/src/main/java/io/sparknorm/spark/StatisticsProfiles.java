package io.sparknorm.spark;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.CovariateShift;
import io.sparknorm.core.NormMethod;
import io.sparknorm.core.ProfileFormatException;
import io.sparknorm.core.ProfileSet;
import io.sparknorm.core.ShiftSet;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Covariate shift as library calls: the profile of a DataFrame ({@link ProfileSet}: per channel the
 * counts, mean and variance, min, max, modes and KLL sketch; per key with {@link NormalizeSpec#by}),
 * the comparison of a DataFrame with a profile ({@link ShiftSet}: per channel the figures and flags
 * of {@link CovariateShift}), and their files on any Hadoop file system.
 *
 * <pre>{@code
 * NormalizeSpec spec = new NormalizeSpec(NormMethod.BATCH).inputCol("pixels").shape(Shape.of(3, 32, 32));
 * ProfileSet reference = StatisticsProfiles.profile(train, spec);
 * StatisticsProfiles.write(reference, "hdfs:///profiles/train.json", conf);
 * ShiftSet shift = StatisticsProfiles.compare(StatisticsProfiles.read("hdfs:///profiles/train.json", conf), serving,
 *     spec);
 * if (shift.failsGate()) { ... refit ... }
 * }</pre>
 *
 * <p>A profile takes ONE Spark job, one aggregation over the data: the tensor is read as the
 * normalization reads it, and only its valid rows (those the statistics are over) are profiled. For
 * batch norm without given statistics the same aggregation computes batch norm's exact statistics
 * ({@code batch_norm_stats}), so the profile's mean and variance are the fitted statistics' bits; for
 * the other methods, and batch norm with given statistics, they are the sketches' moments (equal to
 * the exact ones to about 1e-15 relative). With key columns ({@link NormalizeSpec#by}) the aggregation
 * is grouped by key and the profile of all rows is merged from the keys' on the driver, the data still
 * read once. The spec's statistics scale does not apply: a profile is of the values as they are.
 *
 * <p>Streams are refused ({@link io.sparknorm.sql.StreamingInputException}): a profile is of a whole
 * input, which a stream never finishes.
 */
public final class StatisticsProfiles {
  /** Why a stream cannot be profiled, and what to do instead. */
  static final String STREAM = "a profile is of a whole input, which a stream never finishes: profile a batch read"
      + " of the same data (spark.read), or each micro-batch in foreachBatch";

  private StatisticsProfiles() {}

  /**
   * What {@link #fit} gives: batch norm's statistics (over all rows; null with keys only when there
   * are none), the statistics per key (null without keys), the profile of the same rows, and the rows
   * read (valid or not).
   */
  public record Fitted(BatchStatistics statistics, KeyedStatistics keyed, ProfileSet profile, long rows) {}

  /**
   * The profile of the spec's tensor in {@code df}: all rows, and each key's with {@code spec.by()}.
   * One Spark job (the shape, when not set, from the first valid row: one small job more).
   *
   * @throws IllegalArgumentException for a spec that breaks a rule (a {@link ColumnException} naming
   *     the column for a rule of normalization)
   * @throws io.sparknorm.sql.StreamingInputException for a stream
   * @throws RuntimeException from Spark, for an invalid row met with {@link HandleInvalid#ERROR} under
   *     batch norm without given statistics (as fitting would fail)
   */
  public static ProfileSet profile(Dataset<Row> df, NormalizeSpec spec) {
    BatchInput.require(df, "StatisticsProfiles.profile", STREAM);
    return ProfilePass.run(df, spec, false).profile();
  }

  /**
   * Batch norm's statistics as {@link TensorNormalization#fitStatistics} (or, with {@code spec.by()},
   * {@link TensorNormalization#fitKeyedStatistics}) fits them, the same bits, and the profile of the
   * same rows, in the same aggregation: one Spark job.
   *
   * @throws IllegalArgumentException for a spec that is not batch norm's to fit (another method, or
   *     given statistics), or that breaks a rule; a {@link ColumnException} when a channel (of a key)
   *     has at most one value, naming the column (and the key)
   */
  public static Fitted fit(Dataset<Row> df, NormalizeSpec spec) {
    if (spec.method() != NormMethod.BATCH) {
      throw new IllegalArgumentException("method: statistics are fitted for batch norm, not " + spec.method().id());
    }
    if (spec.statistics() != null || spec.keyedStatistics() != null) {
      throw new IllegalArgumentException("statistics: the spec gives statistics; there is nothing to fit");
    }
    BatchInput.require(df, "StatisticsProfiles.fit", BatchInput.FIT);
    ProfilePass.Result result = ProfilePass.run(df, spec, true);
    return new Fitted(result.statistics(), result.keyed(), result.profile(), result.rows());
  }

  /**
   * {@code df} compared with a reference profile: {@link #profile} of {@code df} (one Spark job; the
   * spec's shape, when not set, is the reference's), then {@link CovariateShift#compare(ProfileSet,
   * ProfileSet)} on the driver: all rows against the reference's, each key against its own, a key
   * the reference lacks reported as unseen.
   *
   * @throws IllegalArgumentException as {@link #profile}; when the shapes differ, or one of the two is
   *     by keys and the other not
   */
  public static ShiftSet compare(ProfileSet reference, Dataset<Row> df, NormalizeSpec spec) {
    BatchInput.require(df, "StatisticsProfiles.compare", STREAM);
    NormalizeSpec profiled = spec.shape() != null ? spec
        : spec.copyWithOutputCol(spec.outputCol()).shape(reference.all().shape());
    return CovariateShift.compare(reference, profile(df, profiled));
  }

  /**
   * Reads a profile file ({@link ProfileSet}'s JSON form) from any Hadoop path.
   *
   * @throws ProfileFormatException naming the file and what is wrong with it (missing, not JSON,
   *     another format, a newer version, a bad field)
   */
  public static ProfileSet read(String path, Configuration conf) {
    String text;
    try {
      Path file = new Path(path);
      FileSystem fs = file.getFileSystem(conf);
      if (!fs.exists(file)) {
        throw new ProfileFormatException("profile file " + path + " does not exist");
      }
      try (InputStream in = fs.open(file)) {
        text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new ProfileFormatException("profile file " + path + " cannot be read: " + firstLine(e), e);
    }
    try {
      return ProfileSet.fromJson(text);
    } catch (ProfileFormatException e) {
      throw new ProfileFormatException("profile file " + path + ": " + reason(e), e);
    }
  }

  /** The core's message without its own "profile: " (the caller names what it read). */
  private static String reason(ProfileFormatException e) {
    String message = String.valueOf(e.getMessage());
    return message.startsWith("profile: ") ? message.substring("profile: ".length()) : message;
  }

  /**
   * Writes a profile file ({@link ProfileSet#toJson()}) to any Hadoop path; an existing file is an
   * error (an {@link UncheckedIOException} naming it), as for the statistics file.
   */
  public static void write(ProfileSet profile, String path, Configuration conf) {
    writeText(profile.toJson(), path, conf, "profile file");
  }

  /** Writes a comparison ({@link ShiftSet#toJson()}, the job's {@code --shift-out}) to any Hadoop path; as {@link #write}. */
  public static void writeShift(ShiftSet shift, String path, Configuration conf) {
    writeText(shift.toJson(), path, conf, "shift file");
  }

  private static void writeText(String text, String path, Configuration conf, String what) {
    Path file = new Path(path);
    try {
      FileSystem fs = file.getFileSystem(conf);
      try (OutputStream out = fs.create(file, false)) {
        out.write(text.getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(what + " " + path + " cannot be written: " + firstLine(e), e);
    }
  }

  private static String firstLine(IOException e) {
    return String.valueOf(e.getMessage()).split("\n")[0];
  }
}
