package io.sparknorm.job;

import io.sparknorm.core.NormMethod;
import io.sparknorm.core.Normalizers;
import io.sparknorm.core.RunningStatistics;
import io.sparknorm.core.Shape;
import io.sparknorm.spark.HandleInvalid;
import io.sparknorm.spark.NormalizeSpec;
import io.sparknorm.spark.UnseenKey;
import java.util.List;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The job's command line ({@code CONTRACT.md}), and every check that needs no data: which options
 * go together. {@link #spec()} turns them into the library's {@link NormalizeSpec}.
 */
final class JobOptions {

  @Option(names = "--input", paramLabel = "PATH",
      description = "File, folder or Delta table on any Hadoop file system (file:, hdfs:, s3a:). Required unless"
          + " --input-table.")
  String input;

  @Option(names = "--input-table", paramLabel = "NAME",
      description = "Instead of --input: a table or view of the session's catalog ([db.]name), read in its own format.")
  String inputTable;

  @Option(names = "--input-format", paramLabel = "F",
      description = "parquet, json (JSON lines), csv (with header), orc, image, delta. Default: from the extension, else"
          + " parquet.")
  String inputFormat;

  @Option(names = "--output", paramLabel = "PATH",
      description = "Where the result goes; an existing path is an error unless --overwrite (or --append for Delta)."
          + " Required unless --output-table or --stats-only.")
  String output;

  @Option(names = "--output-table", paramLabel = "NAME",
      description = "Instead of --output: a table of the session's catalog ([db.]name), written as --output-format:"
          + " delta in one commit; parquet, orc or json staged first, then the table made from the staged files.")
  String outputTable;

  @Option(names = "--output-format", paramLabel = "F", defaultValue = "parquet",
      description = "parquet, json, csv, orc, delta (default: ${DEFAULT-VALUE}). CSV holds the tensor as JSON array"
          + " text; delta writes one commit.")
  String outputFormat;

  @Option(names = "--input-col", paramLabel = "NAME", defaultValue = NormalizeSpec.DEFAULT_INPUT_COL,
      description = "The tensor column: an array of numbers or a Spark ML vector (default: ${DEFAULT-VALUE}; image"
          + " for image input)."
          + " Integers (JSON integers are bigint) are computed on their exact values, longs beyond 2^53 too,"
          + " and written as float, rounded once; PyTorch refuses integer tensors, and its .float() rounds"
          + " every integer beyond 2^24.")
  String inputCol;

  @Option(names = "--input-cols", paramLabel = "A,B,..", split = ",",
      description = "Instead: scalar numeric columns assembled into the tensor, in that order.")
  List<String> inputCols;

  @Option(names = "--output-col", paramLabel = "NAME",
      description = "The normalized column (default: the input column, replaced; features with --input-cols).")
  String outputCol;

  @Option(names = "--method", required = true, paramLabel = "M", description = "batch, layer, instance or group.")
  String method;

  @Option(names = "--shape", paramLabel = "C[,D1,..]",
      description = "One sample's shape, channels first, e.g. 3,32,32. Default: (length of the first valid row,);"
          + " with --stats-in, the file's shape; (channels, height, width) for images.")
  String shape;

  @Option(names = "--groups", paramLabel = "G", description = "Group count for group norm (required there).")
  Integer groups;

  @Option(names = "--eps", paramLabel = "E", defaultValue = Normalizers.DEFAULT_EPS_TEXT,
      description = "Added to the variance inside the square root (default: ${DEFAULT-VALUE}).")
  double eps;

  @Option(names = "--affine", paramLabel = "FILE",
      description = "JSON {\"weight\": [...], \"bias\": [...]}: C values (batch, instance, group) or the sample size (layer).")
  String affine;

  @Option(names = "--stats-out", paramLabel = "FILE", description = "Batch: write the fitted statistics here; with"
      + " --stream --momentum, the running statistics, rewritten after each micro-batch.")
  String statsOut;

  @Option(names = "--stats-in", paramLabel = "FILE",
      description = "Batch: normalize with these statistics (mean, var) instead of fitting; with --batch-size or"
          + " --stream --momentum, start the running statistics from them.")
  String statsIn;

  @Option(names = "--stats-only", description = "Batch: compute the statistics and write them to --stats-out; write"
      + " no data (no --output). With --profile-out or --shift-from, --stats-out may be left out: the profile or the"
      + " comparison alone.")
  boolean statsOnly;

  @Option(names = "--scale", paramLabel = "K", description = "With --stats-only: the statistics of the values divided by"
      + " K, e.g. 255 for 8-bit pixels scaled to [0, 1] (exact, rounded once).")
  Double scale;

  @Option(names = "--by", paramLabel = "A,B,..", split = ",",
      description = "Batch: statistics per value of these columns (string, integer, boolean), each row normalized"
          + " with its key's.")
  List<String> by;

  @Option(names = "--unseen-key", paramLabel = "U",
      description = "With --by and --stats-in: error (default) or global (the statistics over all rows) for a key"
          + " the file has no statistics of.")
  String unseenKey;

  @Option(names = "--batch-size", paramLabel = "B",
      description = "Batch: replay training mode over mini-batches of B rows in input order, each normalized with"
          + " its own statistics, with running statistics updated batch after batch.")
  Integer batchSize;

  @Option(names = "--order-by", paramLabel = "COL",
      description = "With --batch-size: form the mini-batches in this column's order (ties in input order).")
  String orderBy;

  @Option(names = "--momentum", paramLabel = "M",
      description = "With --batch-size: the running statistics' momentum, as PyTorch's (default: "
          + RunningStatistics.DEFAULT_MOMENTUM + "). With --stream --method batch: M in [0, 1], or none for the"
          + " exact statistics of every row seen (PyTorch's momentum=None, here exact, not averaged).")
  String momentum;

  @Option(names = "--handle-invalid", paramLabel = "H", defaultValue = "error",
      description = "error, skip or keep a row with a null tensor, a wrong length or a NaN/infinite value (default: ${DEFAULT-VALUE}).")
  String handleInvalid;

  @Option(names = "--id-col", paramLabel = "NAME", description = "A column whose value names a row in error messages.")
  String idCol;

  @Option(names = "--overwrite", description = "Replace an existing output (and --stats-out file); a Delta table gets a"
      + " new version, the old one stays readable by time travel.")
  boolean overwrite;

  @Option(names = "--append", description = "Delta output and tables only: add the rows to the table (Delta: in one"
      + " commit); a new table is created. A stream always appends; with --stream and a new --checkpoint, it lets the"
      + " stream add its rows to an existing Delta table.")
  boolean append;

  @Option(names = "--verbose", description = "Keep Spark's INFO logging and print a failure's stack trace.")
  boolean verbose;

  @Option(names = "--report", paramLabel = "FILE.html",
      description = "Write an HTML page of per-channel histograms (input and output), statistics and flags"
          + " (multi-modal, constant, outliers, many zeros).")
  String report;

  @Option(names = "--quiet", description = "No progress lines on standard error.")
  boolean quiet;

  @Mixin
  StreamOptions stream = new StreamOptions();

  @Mixin
  ShiftOptions shift = new ShiftOptions();

  /**
   * The spec of the options that need no data, and every rule about which options go together.
   *
   * @throws IllegalArgumentException naming the option
   */
  NormalizeSpec spec() {
    NormMethod normMethod = NormMethod.parse(method);
    NormalizeSpec spec = new NormalizeSpec(normMethod)
        .handleInvalid(HandleInvalid.parse(handleInvalid))
        .eps(eps)
        .outputCol(outputCol)
        .idCol(idCol);
    if (inputCols != null) {
      if (!NormalizeSpec.DEFAULT_INPUT_COL.equals(inputCol)) {
        throw new IllegalArgumentException("give either --input-col or --input-cols, not both");
      }
      spec.inputCols(inputCols.stream().map(String::strip).toList());
    } else {
      spec.inputCol(inputCol);
    }
    if (shape != null) {
      spec.shape(Shape.parse(shape));
    }
    if (normMethod == NormMethod.GROUP) {
      if (groups == null) {
        throw new IllegalArgumentException("--groups is required for group norm");
      }
      spec.groups(groups);
    } else if (groups != null) {
      throw new IllegalArgumentException("--groups is only for group norm, not " + normMethod.id());
    }
    String batchOnly = statsOnly ? "--stats-only" : statsIn != null ? "--stats-in" : statsOut != null ? "--stats-out"
        : by != null ? "--by" : batchSize != null ? "--batch-size" : null;
    if (batchOnly != null && normMethod != NormMethod.BATCH) {
      throw new IllegalArgumentException(batchOnly + " is only for batch norm, not " + normMethod.id());
    }
    checkCombinations(normMethod);
    if (by != null) {
      spec.by(by.stream().map(String::strip).toList());
      spec.unseenKey(unseenKey == null ? UnseenKey.ERROR : UnseenKey.parse(unseenKey));
    }
    if (scale != null) {
      spec.statisticsScale(scale);
    }
    if (!statsOnly) {
      Formats.formatOf(outputFormat, "output-format", false);
    }
    return spec;
  }

  private void checkCombinations(NormMethod normMethod) {
    checkWhereFromAndTo();
    shift.check();
    if (stream.stream) {
      stream.check(this, normMethod);
    } else {
      stream.refuseWithoutStream();
    }
    if (statsOnly) {
      if (statsOut == null && !shift.profiles()) {
        throw new IllegalArgumentException("--stats-only writes the statistics to --stats-out: give it");
      }
      if (output != null || outputTable != null) {
        throw new IllegalArgumentException("--stats-only writes no data: leave out "
            + (output != null ? "--output" : "--output-table"));
      }
      if (statsIn != null && batchSize == null) {
        throw new IllegalArgumentException("--stats-only computes statistics: leave out --stats-in");
      }
    } else if (output == null && outputTable == null) {
      throw new IllegalArgumentException("Missing required option: '--output=PATH' (or --output-table NAME)");
    }
    if (scale != null && !statsOnly) {
      throw new IllegalArgumentException("--scale is only for --stats-only: statistics of scaled values would not"
          + " reproduce this run's normalization with --stats-in");
    }
    if (scale != null && batchSize != null) {
      throw new IllegalArgumentException("--scale is not for --batch-size: running statistics are of the values"
          + " the model sees");
    }
    if (report != null && statsOnly && by != null) {
      throw new IllegalArgumentException("--report with --stats-only and --by: the outputs per key are not computed;"
          + " leave out --stats-only");
    }
    if (unseenKey != null && by == null) {
      throw new IllegalArgumentException("--unseen-key is only for --by");
    }
    if (by != null && batchSize != null) {
      throw new IllegalArgumentException("--by and --batch-size do not go together: a mini-batch replay keeps one set"
          + " of running statistics");
    }
    if (batchSize == null && (orderBy != null || momentum != null && !stream.stream)) {
      throw new IllegalArgumentException((orderBy != null ? "--order-by" : "--momentum") + " is only for --batch-size");
    }
    if (batchSize != null && batchSize < 1) {
      throw new IllegalArgumentException("--batch-size is " + batchSize + ", must be at least 1");
    }
    if (momentum != null && !momentumNone()) {
      double m;
      try {
        m = Double.parseDouble(momentum.strip());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--momentum is '" + momentum + "', must be a number in [0, 1]"
            + (stream.stream ? " or none" : ""));
      }
      if (!(m >= 0 && m <= 1)) {
        throw new IllegalArgumentException("--momentum is " + momentum + ", must be in [0, 1]");
      }
    }
    if (momentumNone() && !stream.stream) {
      throw new IllegalArgumentException("--momentum none is only for --stream: a replay with --batch-size updates"
          + " its running statistics with a momentum in [0, 1], as PyTorch's running_mean and running_var do");
    }
  }

  /** One input (a path or a table), at most one output, and what tables and Delta allow. */
  private void checkWhereFromAndTo() {
    if (input == null && inputTable == null) {
      throw new IllegalArgumentException("Missing required option: '--input=PATH' (or --input-table NAME)");
    }
    if (input != null && inputTable != null) {
      throw new IllegalArgumentException("give either --input or --input-table, not both");
    }
    if (inputTable != null && inputFormat != null) {
      throw new IllegalArgumentException("--input-format is for --input: --input-table reads the table in its own"
          + " format");
    }
    if (output != null && outputTable != null) {
      throw new IllegalArgumentException("give either --output or --output-table, not both");
    }
    if (append && overwrite) {
      throw new IllegalArgumentException("--append and --overwrite do not go together: --append adds rows to the"
          + " table, --overwrite replaces them");
    }
    String format = Formats.formatOf(outputFormat, "output-format", false);
    if (append && !format.equals("delta") && outputTable == null && !stream.stream) {
      throw new IllegalArgumentException("--append is only for Delta output (--output-format delta) and tables"
          + " (--output-table): a " + format + " output is written whole");
    }
    if (outputTable != null && format.equals("csv")) {
      throw new IllegalArgumentException("--output-table takes --output-format parquet, orc, json or delta, not csv");
    }
  }

  /** Whether the output is a Delta table, at a path or in the catalog. */
  boolean deltaOutput() {
    return !statsOnly && Formats.formatOf(outputFormat, "output-format", false).equals("delta");
  }

  /** Where the rows come from, for messages and the commit's record: the path or the table's name. */
  String inputName() {
    return input != null ? input : inputTable;
  }

  /** --momentum with --stream: M, or null for none (cumulative exact statistics). */
  Double runningMomentum() {
    return momentumNone() ? null : Double.valueOf(momentum.strip());
  }

  /** The momentum as a number (PyTorch's default when not given); not for {@code --momentum none}. */
  double momentumOrDefault() {
    return momentum == null ? RunningStatistics.DEFAULT_MOMENTUM : Double.parseDouble(momentum.strip());
  }

  /** {@code --momentum none}: the cumulative exact statistics of every row seen (streams only). */
  boolean momentumNone() {
    return momentum != null && momentum.strip().equalsIgnoreCase("none");
  }
}
