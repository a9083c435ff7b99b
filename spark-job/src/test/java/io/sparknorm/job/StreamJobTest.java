package io.sparknorm.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The job with --stream over folders of files, in-process: the same bits as the batch job over the same files,
 * micro-batches and their progress lines, the schema, restarts with the same checkpoint, the checkpoint of another
 * normalization refused, a bad row in a later micro-batch, and every option a stream does not take.
 */
class StreamJobTest extends JobTestSupport {
  static final Pattern BATCH_LINE = Pattern.compile(
      "sparknorm: batch (\\d+) rows=(\\d+) rows_per_s=(\\d+) files=(\\d+|-) stats_count=(\\d+|-)");

  /**
   * One file of {@code rows} rows (id, features of 8 doubles, site) with ids from {@code firstId}, NaN at index 3 of
   * the row with id {@code nanId} (or none), written into {@code folder} as {@code name}.
   */
  private Path addFile(Path folder, String name, String format, int firstId, int rows, int nanId)
      throws IOException {
    List<Row> list = new ArrayList<>();
    for (int r = 0; r < rows; r++) {
      int id = firstId + r;
      Double[] values = new Double[TableData.LENGTH];
      for (int i = 0; i < values.length; i++) {
        values[i] = id == nanId && i == 3 ? Double.NaN : (id * 7 + i * i * 3) % 11 + 0.25 * i + id * 0.001;
      }
      list.add(RowFactory.create(id, values, id % 3 == 0 ? "a" : "b"));
    }
    Path staging = dir.resolve("staging-" + folder.getFileName() + "-" + name);
    spark.createDataFrame(list, new StructType().add("id", DataTypes.IntegerType)
            .add("features", DataTypes.createArrayType(DataTypes.DoubleType)).add("site", DataTypes.StringType))
        .coalesce(1).write().format(format).save(staging.toString());
    Files.createDirectories(folder);
    try (Stream<Path> files = Files.list(staging)) {
      Path part = files.filter(p -> p.getFileName().toString().startsWith("part-")).findFirst().orElseThrow();
      // Moved in whole, as a file arrives: a stream lists the folder at any moment.
      Path tmp = folder.resolve("." + name + ".tmp");
      Files.move(part, tmp);
      Files.move(tmp, folder.resolve(name));
    }
    return folder;
  }

  private Path threeFiles(String format) throws IOException {
    Path in = dir.resolve("in");
    addFile(in, "f0." + format, format, 0, 10, -1);
    addFile(in, "f1." + format, format, 10, 10, -1);
    addFile(in, "f2." + format, format, 20, 10, -1);
    return in;
  }

  private String out(String name) {
    return results.resolve(name).toString();
  }

  private List<String> rows(String output) {
    return TableData.rows(spark.read().parquet(output));
  }

  private static List<Matcher> batchLines(JobRun run) {
    return run.err().lines().map(BATCH_LINE::matcher).filter(Matcher::matches).toList();
  }

  private static JobRun stream(String... args) {
    String[] all = Stream.concat(Stream.of("--stream"), Stream.of(args)).toArray(String[]::new);
    return JobRun.of(all);
  }

  @ParameterizedTest
  @CsvSource({"parquet, layer, ,", "json, layer, ,", "parquet, instance, 2;4,", "json, group, 4;2, 2",
      "parquet, batch, ,", "json, batch, ,"})
  void aStreamWritesTheBitsOfTheBatchJobOverTheSameFiles(String format, String method, String shape, String groups)
      throws IOException {
    Path in = threeFiles(format);
    String stats = null;
    if (method.equals("batch")) {
      stats = dir.resolve("stats.json").toString();
      JobRun.of("--input", in.toString(), "--input-format", format, "--output", dir.resolve("fit").toString(),
          "--method", "batch", "--stats-out", stats).assertSucceeded("batch", 30, 30, 0, 0);
    }
    String shapeText = shape == null ? null : shape.replace(';', ',');
    JobRun.of("--input", in.toString(), "--input-format", format, "--output", out("batch"), "--method", method,
        "--shape", shapeText, "--groups", groups, "--stats-in", stats).assertSucceeded(method, 30, 30, 0, 0);
    JobRun run = stream("--input", in.toString(), "--input-format", format, "--output", out("stream"),
        "--checkpoint", out("cp"), "--method", method, "--shape", shapeText, "--groups", groups, "--stats-in", stats,
        "--max-files-per-trigger", "2");
    assertEquals(0, run.exit(), run.err());
    assertTrue(run.out().startsWith("sparknorm: method=" + method + " rows_in=30 rows_out=30 rows_skipped=0"
        + " invalid_kept=0 "), run.out());
    assertTrue(run.out().strip().endsWith(" batches=2"), run.out());
    List<String> expected = rows(out("batch"));
    assertEquals(30, expected.size());
    assertEquals(expected, rows(out("stream")), "bit for bit, by id");
    List<Matcher> lines = batchLines(run);
    assertEquals(2, lines.size(), run.err());
    assertEquals(method.equals("batch") ? "30" : "-", lines.get(0).group(5), "the statistics' count");
  }

  @Test
  void oneFilePerTriggerGivesOneMicroBatchAndOneProgressLineForEachFile() throws IOException {
    Path in = threeFiles("parquet");
    JobRun run = stream("--input", in.toString(), "--output", out("o"), "--checkpoint", out("cp"),
        "--method", "layer", "--max-files-per-trigger", "1");
    run.assertSucceeded("layer", 30, 30, 0, 0);
    List<Matcher> lines = batchLines(run);
    assertEquals(3, lines.size(), run.err());
    for (int i = 0; i < 3; i++) {
      assertEquals(Integer.toString(i), lines.get(i).group(1));
      assertEquals("10", lines.get(i).group(2));
      assertEquals("1", lines.get(i).group(4), "one input file");
    }
    assertTrue(run.out().strip().endsWith(" batches=3"), run.out());
    JobRun quiet = stream("--input", in.toString(), "--output", out("o2"), "--checkpoint", out("cp2"),
        "--method", "layer", "--quiet");
    quiet.assertSucceeded("layer", 30, 30, 0, 0);
    assertEquals("", quiet.err(), "--quiet: no lines");
  }

  @Test
  void theSchemaIsInferredAndStatedOrGivenAndAnEmptyFolderWithoutOneIsRefused() throws IOException {
    Path in = threeFiles("json");
    JobRun inferred = stream("--input", in.toString(), "--input-format", "json", "--output", out("o1"),
        "--checkpoint", out("cp1"), "--method", "layer");
    inferred.assertSucceeded("layer", 30, 30, 0, 0);
    assertTrue(inferred.err().lines().toList().contains("sparknorm: schema (inferred from the files in " + in
        + "; pin it with --schema): features ARRAY<DOUBLE>,id BIGINT,site STRING"), inferred.err());

    JobRun given = stream("--input", in.toString(), "--input-format", "json", "--output", out("o2"),
        "--checkpoint", out("cp2"), "--method", "layer", "--schema", "id INT, features ARRAY<FLOAT>");
    given.assertSucceeded("layer", 30, 30, 0, 0);
    assertFalse(given.err().contains("sparknorm: schema"), given.err());
    Dataset<Row> written = spark.read().parquet(out("o2"));
    assertEquals("struct<id:int,features:array<float>>", written.schema().simpleString(), "the given schema");

    Path empty = Files.createDirectories(dir.resolve("empty"));
    Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
    stream("--input", empty.toString(), "--input-format", "json", "--output", elsewhere.resolve("o").toString(),
        "--checkpoint", elsewhere.resolve("cp").toString(), "--method", "layer", "--shape", "8")
        .assertFailed("error: input " + empty + " holds no json files to infer the stream's schema from: give --schema"
            + " DDL (such as 'id BIGINT, features ARRAY<DOUBLE>')", elsewhere);
    stream("--input", empty.toString(), "--input-format", "json", "--output", elsewhere.resolve("o").toString(),
        "--checkpoint", elsewhere.resolve("cp").toString(), "--method", "layer", "--schema", "id INT, features"
            + " ARRAY<DOUBLE>").assertFailed("error: input " + empty + " holds no rows yet to take a sample's shape"
        + " from: give --shape", elsewhere);
    JobRun nothingYet = stream("--input", empty.toString(), "--input-format", "json", "--output",
        out("o4"), "--checkpoint", out("cp4"), "--method", "layer", "--schema", "id INT, features ARRAY<DOUBLE>",
        "--shape", "8");
    nothingYet.assertSucceeded("layer", 0, 0, 0, 0);
    assertTrue(nothingYet.out().strip().endsWith(" batches=0"), nothingYet.out());
  }

  @Test
  void aRestartWithTheSameCheckpointProcessesOnlyTheNewFiles() throws IOException {
    Path in = dir.resolve("in");
    addFile(in, "f0.parquet", "parquet", 0, 10, -1);
    addFile(in, "f1.parquet", "parquet", 10, 10, -1);
    String[] args = {"--input", in.toString(), "--output", out("o"), "--checkpoint", out("cp"), "--method", "layer"};
    stream(args).assertSucceeded("layer", 20, 20, 0, 0);
    addFile(in, "f2.parquet", "parquet", 20, 7, -1);
    JobRun again = stream(args);
    again.assertSucceeded("layer", 7, 7, 0, 0);
    assertTrue(again.out().strip().endsWith(" batches=1"), again.out());
    JobRun nothingNew = stream(args);
    nothingNew.assertSucceeded("layer", 0, 0, 0, 0);
    assertTrue(nothingNew.out().strip().endsWith(" batches=0"), nothingNew.out());

    List<String> written = rows(out("o"));
    assertEquals(27, written.size());
    assertEquals(27, written.stream().map(r -> r.substring(0, r.indexOf(':'))).distinct().count(), "each row once");
  }

  @Test
  void aCheckpointOfAnotherNormalizationIsRefusedAndNothingIsWritten() throws IOException {
    Path in = threeFiles("parquet");
    stream("--input", in.toString(), "--output", out("o"), "--checkpoint", out("cp"), "--method", "layer")
        .assertSucceeded("layer", 30, 30, 0, 0);
    List<String> before = JobRun.listing(results);
    String cp = out("cp");
    String[][] cases = {
        {"method layer, and this run has method group", "--method", "group", "--groups", "2"},
        {"shape [8], and this run has shape [2,4]", "--method", "layer", "--shape", "2,4"},
        {"input_col features, and this run has input_col other", "--method", "layer", "--input-col", "other"},
        {"eps 1.0E-5, and this run has eps 0.001", "--method", "layer", "--eps", "0.001"},
    };
    spark.read().parquet(in.toString()).withColumnRenamed("features", "other").coalesce(1).write()
        .parquet(dir.resolve("other").toString());
    for (String[] c : cases) {
      List<String> args = new ArrayList<>(List.of("--input", List.of(c).contains("other") ? dir.resolve("other").toString()
          : in.toString(), "--output", out("new"), "--checkpoint", cp));
      args.addAll(List.of(c).subList(1, c.length));
      JobRun run = stream(args.toArray(new String[0]));
      assertEquals(1, run.exit(), run.err());
      assertEquals(List.of("error: checkpoint " + cp + " is of a stream with " + c[0]
          + ": give a new --checkpoint (and --output) for another normalization"), run.errorLines());
      assertEquals(before, JobRun.listing(results), "nothing written");
    }

    // A checkpoint that holds a stream but no record of its normalization.
    Files.delete(results.resolve("cp").resolve(CheckpointRecord.FILE));
    before = JobRun.listing(results);
    JobRun unrecorded = stream("--input", in.toString(), "--output", out("o"), "--checkpoint", cp, "--method", "layer");
    assertEquals(1, unrecorded.exit(), unrecorded.err());
    assertEquals(List.of("error: checkpoint " + cp + " holds a stream that sparknorm did not record (it has no"
        + " sparknorm/run.json): give a new --checkpoint"), unrecorded.errorLines());
    assertEquals(before, JobRun.listing(results), "nothing written");
  }

  @Test
  void anOutputWithANewCheckpointIsRefusedAndAFailedFirstMicroBatchLeavesNothing() throws IOException {
    Path in = threeFiles("parquet");
    stream("--input", in.toString(), "--output", out("o"), "--checkpoint", out("cp"), "--method", "layer")
        .assertSucceeded("layer", 30, 30, 0, 0);
    List<String> before = JobRun.listing(results);
    JobRun mixed = stream("--input", in.toString(), "--output", out("o"), "--checkpoint", out("cp2"),
        "--method", "layer");
    assertEquals(1, mixed.exit(), mixed.err());
    assertEquals(List.of("error: output " + out("o") + " already exists and checkpoint " + out("cp2") + " is new: the"
        + " stream would mix its rows with another run's; give a new --output, or the --checkpoint of the stream that"
        + " wrote it"), mixed.errorLines());
    assertEquals(before, JobRun.listing(results));

    // The output gone while the checkpoint says micro-batches were committed to it.
    JobRun.listing(results.resolve("o")).stream().sorted(java.util.Comparator.reverseOrder())
        .forEach(f -> results.resolve("o").resolve(f).toFile().delete());
    Files.delete(results.resolve("o"));
    JobRun gone = stream("--input", in.toString(), "--output", out("o"), "--checkpoint", out("cp"), "--method",
        "layer");
    assertEquals(1, gone.exit(), gone.err());
    assertEquals(List.of("error: output " + out("o") + " does not exist, but checkpoint " + out("cp") + " has"
        + " micro-batches committed to it: their rows would be missing; give a new --checkpoint to start again"),
        gone.errorLines());
    assertFalse(Files.exists(results.resolve("o")));

    Path bad = dir.resolve("bad");
    addFile(bad, "f0.parquet", "parquet", 0, 10, 4);
    Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
    stream("--input", bad.toString(), "--output", elsewhere.resolve("o").toString(), "--checkpoint",
        elsewhere.resolve("cp").toString(), "--method", "layer", "--id-col", "id")
        .assertFailed("error: column 'features', row with id 4: value NaN at index 3 is not finite (micro-batch 0)",
            elsewhere);
  }

  @Test
  void aBadRowInALaterMicroBatchNamesItsRowAndTheCommittedMicroBatchesStay() throws IOException {
    Path in = dir.resolve("in");
    addFile(in, "f0.parquet", "parquet", 0, 10, -1);
    addFile(in, "f1.parquet", "parquet", 10, 10, -1);
    addFile(in, "f2.parquet", "parquet", 20, 10, 27);
    JobRun run = stream("--input", in.toString(), "--output", out("o"), "--checkpoint", out("cp"),
        "--method", "layer", "--max-files-per-trigger", "1", "--id-col", "id");
    assertEquals(1, run.exit(), run.err());
    assertEquals(List.of("error: column 'features', row with id 27: value NaN at index 3 is not finite (micro-batch 2;"
        + " the micro-batches before it stay committed)"), run.errorLines());
    assertEquals("", run.out());
    assertEquals(20, rows(out("o")).size(), "micro-batches 0 and 1");

    JobRun positions = stream("--input", in.toString(), "--output", out("o2"), "--checkpoint", out("cp2"),
        "--method", "layer", "--max-files-per-trigger", "1");
    assertEquals(List.of("error: column 'features', row 7: value NaN at index 3 is not finite (micro-batch 2, rows"
        + " counted from 0 in its input; the micro-batches before it stay committed)"), positions.errorLines());
  }

  @Test
  void runningStatisticsRunThroughTheJobWithTheirCountInEachProgressLine() throws IOException {
    Path in = threeFiles("parquet");
    Path stats = dir.resolve("running.json");
    String cp = out("cp");
    JobRun run = stream("--input", in.toString(), "--output", out("o"), "--checkpoint", cp, "--method", "batch",
        "--momentum", "0.1", "--max-files-per-trigger", "1", "--stats-out", stats.toString());
    run.assertSucceeded("batch", 30, 30, 0, 0);
    assertTrue(run.out().strip().endsWith(" batches=3"), run.out());
    List<Matcher> lines = batchLines(run);
    assertEquals(List.of("10", "20", "30"), lines.stream().map(m -> m.group(5)).toList(), "rows in the statistics");
    assertEquals(30, spark.read().parquet(out("o")).count());
    assertTrue(Files.readString(stats).contains("\"running_mean\""), "--stats-out after each micro-batch");
    List<String> before = JobRun.listing(results);

    JobRun other = stream("--input", in.toString(), "--output", out("o"), "--checkpoint", cp, "--method", "batch",
        "--momentum", "none");
    assertEquals(List.of("error: checkpoint " + cp + " is of a stream with momentum 0.1, and this run has momentum"
        + " none: give a new --checkpoint (and --output) for another normalization"), other.errorLines());
    Files.writeString(dir.resolve("fixed.json"), "{\"method\": \"batch\", \"shape\": [8], \"eps\": 1e-05,"
        + " \"count\": 2, \"mean\": [0,0,0,0,0,0,0,0], \"var\": [1,1,1,1,1,1,1,1]}");
    JobRun fixed = stream("--input", in.toString(), "--output", out("o"), "--checkpoint", cp, "--method", "batch",
        "--stats-in", dir.resolve("fixed.json").toString());
    assertEquals(List.of("error: checkpoint " + cp + " is of a stream with statistics running, and this run has"
        + " statistics fixed: give a new --checkpoint (and --output) for another normalization"), fixed.errorLines());
    assertEquals(1, fixed.exit());
    assertEquals(before, JobRun.listing(results), "nothing written by the refused runs");

    Path bad = dir.resolve("bad");
    addFile(bad, "f0.parquet", "parquet", 0, 10, 4);
    addFile(bad, "f1.parquet", "parquet", 10, 10, -1);
    JobRun skip = stream("--input", bad.toString(), "--output", out("s"), "--checkpoint", out("cps"), "--method",
        "batch", "--momentum", "none", "--handle-invalid", "skip", "--max-files-per-trigger", "1");
    skip.assertSucceeded("batch", 20, 19, 1, 0);
    assertEquals(List.of("9", "19"), batchLines(skip).stream().map(m -> m.group(5)).toList());
    assertEquals(List.of("10", "10"), batchLines(skip).stream().map(m -> m.group(2)).toList(), "rows read");
    stream("--input", bad.toString(), "--output", out("k"), "--checkpoint", out("cpk"), "--method", "batch",
        "--momentum", "0.1", "--handle-invalid", "keep").assertSucceeded("batch", 20, 20, 0, 1);
  }

  @Test
  void skipAndKeepAreCountedPerMicroBatch() throws IOException {
    Path in = dir.resolve("in");
    addFile(in, "f0.parquet", "parquet", 0, 10, 3);
    addFile(in, "f1.parquet", "parquet", 10, 10, 15);
    stream("--input", in.toString(), "--output", out("s"), "--checkpoint", out("cps"), "--method", "layer",
        "--handle-invalid", "skip", "--max-files-per-trigger", "1").assertSucceeded("layer", 20, 18, 2, 0);
    assertEquals(18, rows(out("s")).size());
    stream("--input", in.toString(), "--output", out("k"), "--checkpoint", out("cpk"), "--method", "layer",
        "--handle-invalid", "keep").assertSucceeded("layer", 20, 20, 0, 2);
  }

  @Test
  void batchNormPerKeyWithGivenStatisticsStreams() throws IOException {
    Path in = threeFiles("parquet");
    String stats = dir.resolve("keyed.json").toString();
    JobRun.of("--input", in.toString(), "--output", dir.resolve("fit").toString(), "--method", "batch", "--by", "site",
        "--stats-out", stats).assertSucceeded("batch", 30, 30, 0, 0);
    JobRun.of("--input", in.toString(), "--output", out("batch"), "--method", "batch", "--by", "site", "--stats-in",
        stats).assertSucceeded("batch", 30, 30, 0, 0);
    String[] args = {"--input", in.toString(), "--output", out("stream"), "--checkpoint", out("cp"), "--method",
        "batch", "--by", "site", "--stats-in", stats, "--id-col", "id"};
    stream(args).assertSucceeded("batch", 30, 30, 0, 0);
    assertEquals(rows(out("batch")), rows(out("stream")));

    // A key the file has no statistics of fails its micro-batch, naming the key (unseen-key error, the default).
    Path other = dir.resolve("other-site");
    addFile(other, "f3.parquet", "parquet", 30, 5, -1);
    spark.read().parquet(other.toString()).withColumn("site", org.apache.spark.sql.functions.lit("c")).coalesce(1)
        .write().parquet(dir.resolve("site-c").toString());
    try (Stream<Path> files = Files.list(dir.resolve("site-c"))) {
      Path part = files.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
      Files.move(part, in.resolve("f3.parquet"));
    }
    JobRun unseen = stream(args);
    assertEquals(1, unseen.exit(), unseen.err());
    assertEquals(List.of("error: column 'site', row with id 30: key site='c' has no statistics (unseen-key global"
        + " normalizes such rows with the statistics over all rows) (micro-batch 1; the micro-batches before it stay"
        + " committed)"), unseen.errorLines());
    assertEquals(30, rows(out("stream")).size(), "the committed micro-batch stays");
  }

  @Test
  void csvAndJsonOutputHoldTheBatchJobsText() throws IOException {
    Path in = threeFiles("parquet");
    for (String format : List.of("csv", "json")) {
      JobRun.of("--input", in.toString(), "--output", out("batch-" + format), "--output-format", format,
          "--method", "layer").assertSucceeded("layer", 30, 30, 0, 0);
      stream("--input", in.toString(), "--output", out("stream-" + format), "--output-format", format,
          "--checkpoint", out("cp-" + format), "--method", "layer").assertSucceeded("layer", 30, 30, 0, 0);
      var reader = spark.read().format(format).option("header", "true");
      assertEquals(reader.load(out("batch-" + format)).orderBy("id").collectAsList(),
          reader.load(out("stream-" + format)).orderBy("id").collectAsList(), format);
    }
  }

  private void assertRefused(String errorLine, String... args) throws IOException {
    JobRun run = JobRun.of(args);
    assertEquals(2, run.exit(), run.err());
    assertEquals(List.of(errorLine), run.errorLines());
    assertEquals(List.of(), JobRun.listing(results));
  }

  @Test
  void optionsAStreamDoesNotTakeAreRefusedBeforeAnyData() throws IOException {
    String in = dir.resolve("in").toString();
    String o = out("o");
    String cp = out("cp");
    assertRefused("error: --stream needs --checkpoint DIR: where the stream keeps its progress, so that a restart"
        + " continues exactly where it stopped", "--stream", "--input", in, "--output", o, "--method", "layer");
    for (String option : List.of("--checkpoint", "--trigger", "--max-files-per-trigger", "--schema")) {
      assertRefused("error: " + option + " is only for --stream", "--input", in, "--output", o, "--method", "layer",
          option, option.equals("--max-files-per-trigger") ? "1" : option.equals("--trigger") ? "available-now" : "x");
    }
    String[] base = {"--stream", "--input", in, "--output", o, "--checkpoint", cp};
    List<String[]> cases = List.of(
        new String[] {"--stats-only is not for --stream: a stream's statistics are never final; give --method batch"
            + " --momentum M with --stats-out for running statistics", "--method", "batch", "--stats-only",
            "--stats-out", "s.json"},
        new String[] {"--batch-size is not for --stream: each micro-batch is a mini-batch (--method batch --momentum"
            + " M)", "--method", "batch", "--batch-size", "4"},
        new String[] {"--order-by is not for --stream: a stream's rows are taken as they arrive", "--method", "layer",
            "--order-by", "id"},
        new String[] {"--report is not for --stream: its histograms are over the whole input, and a stream never"
            + " ends", "--method", "layer", "--report", "r.html"},
        new String[] {"--scale is not for --stream: it is only for --stats-only", "--method", "layer", "--scale",
            "255"},
        new String[] {"--overwrite is not for --stream: a stream appends to its output, and a restart with the same"
            + " --checkpoint continues it; give a new --output and --checkpoint to start again", "--method", "layer",
            "--overwrite"},
        new String[] {"--input-format image is not for --stream: Spark's image source cannot be read as a stream",
            "--method", "layer", "--input-format", "image"},
        new String[] {"--stats-out without running statistics is not for --stream: statistics fitted over a whole"
            + " stream are never final; --method batch --momentum M writes the running statistics after each"
            + " micro-batch", "--method", "batch", "--stats-in", "s.json", "--stats-out", "t.json"},
        new String[] {"--method batch with --stream needs --stats-in FILE (normalize with fixed statistics,"
            + " PyTorch's evaluation mode) or --momentum M|none (each micro-batch with its own statistics, running"
            + " statistics kept, PyTorch's training mode)", "--method", "batch"},
        new String[] {"--by and --momentum do not go together: a stream keeps one set of running statistics",
            "--method", "batch", "--momentum", "0.1", "--by", "site"},
        new String[] {"--momentum is only for batch norm, not layer", "--method", "layer", "--momentum", "0.1"},
        new String[] {"--momentum is 'often', must be a number in [0, 1] or none", "--method", "batch",
            "--momentum", "often"},
        new String[] {"--momentum is 2, must be in [0, 1]", "--method", "batch", "--momentum", "2"},
        new String[] {"--max-files-per-trigger is 0, must be at least 1", "--method", "layer",
            "--max-files-per-trigger", "0"},
        new String[] {"--trigger 'every:10s' is neither available-now nor processing-time:<duration> (such as"
            + " processing-time:10s, 500ms, 1m or 1h)", "--method", "layer", "--trigger", "every:10s"},
        new String[] {"--trigger 'processing-time:10' is neither available-now nor processing-time:<duration> (such"
            + " as processing-time:10s, 500ms, 1m or 1h)", "--method", "layer", "--trigger", "processing-time:10"},
        new String[] {"--schema is for files: a Delta table has its own schema", "--method", "layer",
            "--input-format", "delta", "--schema", "id INT"});
    for (String[] c : cases) {
      List<String> args = new ArrayList<>(List.of(base));
      args.addAll(List.of(c).subList(1, c.length));
      assertRefused("error: " + c[0], args.toArray(new String[0]));
    }
    assertRefused("error: --output-table with --stream takes --output-format delta only: Delta's commit of each"
        + " micro-batch is what makes a table exactly once; give --output PATH for parquet files", "--stream",
        "--input", in, "--output-table", "t", "--checkpoint", cp, "--method", "layer");
    JobRun badSchema = JobRun.of("--stream", "--input", in, "--output", o, "--checkpoint", cp, "--method", "layer",
        "--schema", "id INT,, features");
    assertEquals(2, badSchema.exit(), badSchema.err());
    assertEquals(1, badSchema.errorLines().size(), badSchema.err());
    assertTrue(badSchema.errorLines().get(0).startsWith("error: --schema 'id INT,, features' is not a schema in"
        + " Spark's DDL (such as 'id BIGINT, features ARRAY<DOUBLE>'): "), badSchema.err());
    assertRefused("error: --momentum none is only for --stream: a replay with --batch-size updates its running"
        + " statistics with a momentum in [0, 1], as PyTorch's running_mean and running_var do",
        "--input", in, "--output", o, "--method", "batch", "--batch-size", "4", "--momentum", "none");
  }

  @Test
  void helpNamesTheStreamOptions() {
    JobRun help = JobRun.of("--help");
    assertEquals(0, help.exit());
    for (String option : List.of("--stream", "--checkpoint=DIR", "--trigger=T", "--max-files-per-trigger=N",
        "--schema=DDL", "--momentum=M")) {
      assertTrue(help.out().contains(option), option);
    }
  }
}
