package io.sparknorm.job;

import static io.sparknorm.job.StreamFiles.SCHEMA;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.RunningStatistics;
import io.sparknorm.spark.HandleInvalid;
import io.sparknorm.spark.MiniBatchReplay;
import io.sparknorm.spark.NormalizeSpec;
import io.sparknorm.spark.StatisticsFiles;
import io.sparknorm.spark.TensorNormalization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.junit.jupiter.api.Test;

/**
 * {@code --stream --method batch --momentum}: real streaming queries over Parquet files landing one per micro-batch,
 * each micro-batch normalized with its own statistics (PyTorch's training mode), the running statistics kept in the
 * checkpoint per batch id, the output written once per batch id.
 */
class RunningStatisticsStreamTest extends JobTestSupport {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int ROWS = 10;

  private Path input() {
    return dir.resolve("in");
  }

  private List<Path> files(int from, int to) throws Exception {
    List<Path> files = new ArrayList<>();
    for (int k = from; k < to; k++) {
      files.add(StreamFiles.write(spark, input(), k, ROWS, -1));
    }
    return files;
  }

  private static long[] bits(double[] values) {
    long[] bits = new long[values.length];
    for (int i = 0; i < values.length; i++) {
      bits[i] = Double.doubleToRawLongBits(values[i]);
    }
    return bits;
  }

  private static void assertSameRows(Map<Long, double[]> expected, Map<Long, double[]> actual, String what) {
    assertEquals(expected.keySet(), actual.keySet(), what + ": ids");
    expected.forEach((id, values) -> {
      if (values == null) {
        assertNull(actual.get(id), what + ": id " + id);
      } else {
        assertArrayEquals(bits(values), bits(actual.get(id)), what + ": id " + id + " bit for bit");
      }
    });
  }

  private static String deepest(Throwable failure) {
    Throwable t = failure;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage();
  }

  private Dataset<Row> batchRead(Path file) {
    return spark.read().schema(SCHEMA).parquet(file.toString());
  }

  private Dataset<Row> outputBatch(Path output, long k) {
    return spark.read().parquet(output.toString()).filter(functions.col(BatchOutput.BATCH_COLUMN).equalTo(k))
        .drop(BatchOutput.BATCH_COLUMN);
  }

  @Test
  void eachMicroBatchIsNormalizedWithItsOwnStatisticsAndTheRunningStatisticsAreTheReplays() throws Exception {
    List<Path> files = files(0, 4);
    Path output = results.resolve("out");
    Path checkpoint = dir.resolve("checkpoint");
    Path stats = results.resolve("stats.json");
    RunningStatisticsBatches batches = StreamFiles.run(spark, input(),
        StreamFiles.options(output.toString(), "parquet", checkpoint, stats, 0.1), StreamFiles.spec(), null);

    for (int k = 0; k < files.size(); k++) {
      Map<Long, double[]> expected = StreamFiles.byId(TensorNormalization.normalize(batchRead(files.get(k)),
          StreamFiles.spec()).frame());
      assertSameRows(expected, StreamFiles.byId(outputBatch(output, k)), "micro-batch " + k);
    }
    assertEquals(List.of("batch_id=0", "batch_id=1", "batch_id=2", "batch_id=3"),
        JobRun.listing(output).stream().filter(f -> !f.contains("/")).toList(), "one folder per batch, nothing hidden");
    assertEquals(40, spark.read().parquet(output.toString()).count(), "every row once");

    // The replay of the same rows in the same mini-batches (one file each), with the same momentum.
    Dataset<Row> all = batchRead(files.get(0));
    for (Path file : files.subList(1, files.size())) {
      all = all.union(batchRead(file));
    }
    RunningStatistics replay = MiniBatchReplay.normalize(all, StreamFiles.spec(), ROWS, null, 0.1).running();
    RunningState state = StreamFiles.state(spark, checkpoint, 3);
    assertArrayEquals(bits(replay.runningMean()), bits(state.runningMean()), "running_mean");
    assertArrayEquals(bits(replay.runningVar()), bits(state.runningVar()), "running_var");
    assertEquals(4, state.batches());
    assertEquals(40, batches.rowsSeen());
    assertEquals(4, batches.batchesCommitted());

    JsonNode file = JSON.readTree(stats.toFile());
    assertEquals(3, file.get("batch_id").asLong());
    assertEquals(40, file.get("rows_seen").asLong());
    assertEquals(4, file.get("num_batches_tracked").asLong());
    assertEquals(0.1, file.get("momentum").asDouble());
    for (int c = 0; c < 3; c++) {
      assertEquals(replay.runningMean()[c], file.get("running_mean").get(c).asDouble());
      assertEquals(replay.runningVar()[c], file.get("running_var").get(c).asDouble());
      assertEquals(replay.runningVar()[c], file.get("var").get(c).asDouble());
    }
    // The states kept: the last three.
    assertEquals(List.of("1", "2", "3"), JobRun.listing(checkpoint.resolve("sparknorm/running")).stream()
        .filter(f -> !f.startsWith(".")).toList());
  }

  /** The job: --stream --method batch --momentum, its progress lines, summary line, output and statistics file. */
  @Test
  void theJobKeepsRunningStatisticsOverAStream() throws Exception {
    List<Path> files = files(0, 3);
    Path output = results.resolve("out");
    Path stats = results.resolve("stats.json");
    JobRun run = JobRun.of("--stream", "--input", input().toString(), "--output", output.toString(), "--checkpoint",
        dir.resolve("checkpoint").toString(), "--method", "batch", "--shape", "3,2", "--momentum", "0.1",
        "--max-files-per-trigger", "1", "--stats-out", stats.toString());
    run.assertSucceeded("batch", 30, 30, 0, 0);
    List<java.util.regex.Matcher> lines = run.err().lines().map(StreamJobTest.BATCH_LINE::matcher)
        .filter(java.util.regex.Matcher::matches).toList();
    assertEquals(3, lines.size(), run.err());
    for (int k = 0; k < 3; k++) {
      assertEquals(Integer.toString(k), lines.get(k).group(1));
      assertEquals(Integer.toString(ROWS * (k + 1)), lines.get(k).group(5), "stats_count: rows seen so far");
      Map<Long, double[]> expected = StreamFiles.byId(TensorNormalization.normalize(batchRead(files.get(k)),
          StreamFiles.spec()).frame());
      assertSameRows(expected, StreamFiles.byId(outputBatch(output, k)), "micro-batch " + k);
    }
    Dataset<Row> all = batchRead(files.get(0)).union(batchRead(files.get(1))).union(batchRead(files.get(2)));
    RunningStatistics replay = MiniBatchReplay.normalize(all, StreamFiles.spec(), ROWS, null, 0.1).running();
    JsonNode file = JSON.readTree(stats.toFile());
    assertEquals(2, file.get("batch_id").asLong());
    for (int c = 0; c < 3; c++) {
      assertEquals(replay.runningMean()[c], file.get("running_mean").get(c).asDouble());
      assertEquals(replay.runningVar()[c], file.get("running_var").get(c).asDouble());
    }
  }

  @Test
  void momentumNoneKeepsTheExactStatisticsOfEveryRowSeen() throws Exception {
    List<Path> files = files(0, 3);
    Path checkpoint = dir.resolve("checkpoint");
    Path stats = results.resolve("stats.json");
    StreamFiles.run(spark, input(), StreamFiles.options(results.resolve("out").toString(), "parquet", checkpoint,
        stats, null), StreamFiles.spec(), null);

    BatchStatistics exact = TensorNormalization.fitStatistics(spark.read().schema(SCHEMA).parquet(input().toString()),
        StreamFiles.spec());
    RunningState state = StreamFiles.state(spark, checkpoint, 2);
    assertArrayEquals(bits(exact.mean()), bits(state.runningMean()), "the exact mean of all rows");
    assertArrayEquals(bits(exact.unbiasedVariance()), bits(state.runningVar()), "the exact unbiased variance");
    JsonNode file = JSON.readTree(stats.toFile());
    assertTrue(file.get("momentum").isNull());
    assertEquals(60, file.get("count").asLong());
    assertEquals(exact.unbiasedVariance()[1], file.get("running_var").get(1).asDouble());
    assertEquals(files.size(), file.get("num_batches_tracked").asLong());
  }

  /** Two batches, a stop, two more files, a restart from the same checkpoint: the same as one run over all four. */
  @Test
  void aRestartGoesOnExactlyWhereTheLastCommittedBatchLeftOff() throws Exception {
    for (Double momentum : new Double[] {0.1, null}) {
      Path in = dir.resolve("in-" + momentum);
      Path whole = dir.resolve("whole-" + momentum);
      Files.createDirectories(in);
      for (int k = 0; k < 4; k++) {
        Path file = StreamFiles.write(spark, whole, k, ROWS, -1);
        if (k < 2) {
          Files.copy(file, in.resolve(file.getFileName()));
          Files.setLastModifiedTime(in.resolve(file.getFileName()), Files.getLastModifiedTime(file));
        }
      }
      Path checkpoint = dir.resolve("checkpoint-" + momentum);
      Path output = results.resolve("out-" + momentum);
      JobOptions options = StreamFiles.options(output.toString(), "parquet", checkpoint, null, momentum);
      StreamFiles.run(spark, in, options, StreamFiles.spec(), null);
      assertNull(StreamFiles.state(spark, checkpoint, 2));
      for (int k = 2; k < 4; k++) {
        Path file = whole.resolve(String.format("part-%03d.parquet", k));
        Files.copy(file, in.resolve(file.getFileName()));
        Files.setLastModifiedTime(in.resolve(file.getFileName()), Files.getLastModifiedTime(file));
      }
      RunningStatisticsBatches restarted = StreamFiles.run(spark, in, options, StreamFiles.spec(), null);
      assertEquals(40, restarted.rowsSeen());

      Path checkpointWhole = dir.resolve("checkpoint-whole-" + momentum);
      Path outputWhole = results.resolve("out-whole-" + momentum);
      StreamFiles.run(spark, whole, StreamFiles.options(outputWhole.toString(), "parquet", checkpointWhole, null,
          momentum), StreamFiles.spec(), null);
      assertArrayEquals(StreamFiles.state(spark, checkpointWhole, 3).toBytes(),
          StreamFiles.state(spark, checkpoint, 3).toBytes(), "momentum " + momentum + ": the same state, bit for bit");
      assertSameRows(StreamFiles.byId(spark.read().parquet(outputWhole.toString())),
          StreamFiles.byId(spark.read().parquet(output.toString())), "momentum " + momentum);
    }
  }

  /** Spark runs a batch again when its commit did not happen: its rows are written once, its state is the same. */
  @Test
  void aBatchRunAgainWritesItsRowsOnceAndTheSameState() throws Exception {
    files(0, 3);
    Path checkpoint = dir.resolve("checkpoint");
    Path output = results.resolve("out");
    JobOptions options = StreamFiles.options(output.toString(), "parquet", checkpoint, null, 0.1);
    StreamFiles.run(spark, input(), options, StreamFiles.spec(), null);
    byte[] state = StreamFiles.state(spark, checkpoint, 2).toBytes();
    Map<Long, double[]> rows = StreamFiles.byId(spark.read().parquet(output.toString()));
    assertEquals(30, rows.size());

    Files.delete(checkpoint.resolve("commits/2"));
    Files.deleteIfExists(checkpoint.resolve("commits/.2.crc"));
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    RunningStatisticsBatches batches = RunningStatisticsBatches.start(options, StreamFiles.spec(), null, spark, conf);
    List<Long> calls = new ArrayList<>();
    StreamFiles.run(spark, input(), checkpoint, (batch, id) -> {
      calls.add(id);
      batches.call(batch, id);
    });
    assertEquals(List.of(2L), calls, "Spark ran batch 2 again");
    assertSameRows(rows, StreamFiles.byId(spark.read().parquet(output.toString())), "every row once");
    assertArrayEquals(state, StreamFiles.state(spark, checkpoint, 2).toBytes(), "the same state, bit for bit");
  }

  /** --stats-out after every batch, from a --stats-in start (PyTorch's running buffers and num_batches_tracked). */
  @Test
  void statsOutIsRewrittenAfterEveryBatchFromTheStatsInStart() throws Exception {
    List<Path> files = files(0, 3);
    Path start = dir.resolve("start.json");
    Files.writeString(start, "{\"running_mean\": [1, 2, 3], \"running_var\": [4, 5, 6], \"num_batches_tracked\": 5}");
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    StatisticsFiles.Contents statsIn = StatisticsFiles.read(start.toString(), conf, "stats-in file");
    Path stats = results.resolve("stats.json");
    Path checkpoint = dir.resolve("checkpoint");
    JobOptions options = StreamFiles.options(results.resolve("out").toString(), "parquet", checkpoint, stats, 0.25);
    options.statsIn = start.toString();
    RunningStatisticsBatches batches = RunningStatisticsBatches.start(options, StreamFiles.spec(), statsIn, spark,
        conf);
    List<JsonNode> seen = new ArrayList<>();
    StreamFiles.run(spark, input(), checkpoint, (batch, id) -> {
      batches.call(batch, id);
      seen.add(JSON.readTree(stats.toFile()));
    });

    RunningStatistics expected = new RunningStatistics(StreamFiles.SHAPE, 0.25, new double[] {1, 2, 3},
        new double[] {4, 5, 6});
    for (int k = 0; k < files.size(); k++) {
      expected.update(TensorNormalization.fitStatistics(batchRead(files.get(k)), StreamFiles.spec()));
      JsonNode file = seen.get(k);
      assertEquals(k, file.get("batch_id").asLong());
      assertEquals(ROWS * (k + 1), file.get("rows_seen").asLong());
      assertEquals(6 + k, file.get("num_batches_tracked").asLong());
      for (int c = 0; c < 3; c++) {
        assertEquals(expected.runningMean()[c], file.get("running_mean").get(c).asDouble(), "batch " + k);
        assertEquals(expected.runningVar()[c], file.get("running_var").get(c).asDouble(), "batch " + k);
      }
    }
    assertEquals(3, seen.size());
    assertEquals(List.of("out", "stats.json"), JobRun.listing(results).stream()
        .filter(f -> !f.contains("/") && !f.endsWith(".crc")).toList(), "no temporary file left");
  }

  /** Micro-batches without a row change nothing; the shape comes from the first row when not given. */
  @Test
  void anEmptyMicroBatchChangesNothing() throws Exception {
    List<Path> files = List.of(StreamFiles.write(spark, input(), 0, 0, -1), StreamFiles.write(spark, input(), 1, ROWS,
        -1), StreamFiles.write(spark, input(), 2, 0, -1), StreamFiles.write(spark, input(), 3, ROWS, -1));
    Path checkpoint = dir.resolve("checkpoint");
    Path output = results.resolve("out");
    NormalizeSpec noShape = new NormalizeSpec(io.sparknorm.core.NormMethod.BATCH);
    RunningStatisticsBatches batches = StreamFiles.run(spark, input(), StreamFiles.options(output.toString(),
        "parquet", checkpoint, null, 0.1), noShape, null);
    // Batch 0 had no row to take the shape from: no output; batch 2 an empty one.
    assertEquals(List.of("batch_id=1", "batch_id=2", "batch_id=3"), JobRun.listing(output).stream()
        .filter(f -> !f.contains("/")).toList());
    assertFalse(RunningState.fromBytes(RunningState.notStarted(0.1).toBytes()).started());
    assertArrayEquals(StreamFiles.state(spark, checkpoint, 1).toBytes(), StreamFiles.state(spark, checkpoint, 2)
        .toBytes());
    RunningState state = StreamFiles.state(spark, checkpoint, 3);
    assertEquals(StreamFiles.SHAPE.size(), state.shape().size());
    assertEquals(2, state.batches());
    assertEquals(2 * ROWS, batches.rowsSeen());
    RunningStatistics replay = MiniBatchReplay.normalize(batchRead(files.get(1)).union(batchRead(files.get(3))),
        noShape, ROWS, null, 0.1).running();
    assertArrayEquals(bits(replay.runningMean()), bits(state.runningMean()));
    assertArrayEquals(bits(replay.runningVar()), bits(state.runningVar()));
    assertEquals(2 * ROWS, spark.read().parquet(output.toString()).count());
  }

  @Test
  void invalidRowsAreSkippedOrKeptAsInTheBatchJob() throws Exception {
    for (HandleInvalid handle : new HandleInvalid[] {HandleInvalid.SKIP, HandleInvalid.KEEP}) {
      Path in = dir.resolve("in-" + handle);
      Path first = StreamFiles.write(spark, in, 0, ROWS, -1);
      Path second = StreamFiles.write(spark, in, 1, ROWS, 4);
      Path output = results.resolve("out-" + handle);
      Path checkpoint = dir.resolve("checkpoint-" + handle);
      JobOptions options = StreamFiles.options(output.toString(), "parquet", checkpoint, null, 0.1);
      NormalizeSpec spec = StreamFiles.spec().handleInvalid(handle);
      RunningStatisticsBatches batches = StreamFiles.run(spark, in, options, spec, null);
      assertEquals(2 * ROWS - 1, batches.rowsSeen(), handle + ": the invalid row is not in the statistics");
      Map<Long, double[]> expected = StreamFiles.byId(TensorNormalization.normalize(batchRead(second), spec).frame());
      assertEquals(handle == HandleInvalid.KEEP, expected.containsKey(1004L));
      assertSameRows(expected, StreamFiles.byId(outputBatch(output, 1)), handle.toString());
      assertSameRows(StreamFiles.byId(TensorNormalization.normalize(batchRead(first), spec).frame()),
          StreamFiles.byId(outputBatch(output, 0)), handle.toString());
    }
  }

  @Test
  void anInvalidRowWithHandleInvalidErrorFailsTheBatchAndCommitsNothingOfIt() throws Exception {
    StreamFiles.write(spark, input(), 0, ROWS, -1);
    StreamFiles.write(spark, input(), 1, ROWS, 3);
    Path checkpoint = dir.resolve("checkpoint");
    Path output = results.resolve("out");
    StreamingQueryException failure = assertThrows(StreamingQueryException.class, () -> StreamFiles.run(spark,
        input(), StreamFiles.options(output.toString(), "parquet", checkpoint, null, 0.1), StreamFiles.spec(), null));
    assertTrue(deepest(failure).contains("null"), deepest(failure));
    assertNotNull(StreamFiles.state(spark, checkpoint, 0));
    assertNull(StreamFiles.state(spark, checkpoint, 1));
    assertEquals(List.of("batch_id=0"), JobRun.listing(output).stream().filter(f -> !f.contains("/")).toList());
  }

  @Test
  void aCheckpointWithoutTheStateOfACommittedBatchIsRefused() throws Exception {
    files(0, 2);
    Path checkpoint = dir.resolve("checkpoint");
    JobOptions options = StreamFiles.options(results.resolve("out").toString(), "parquet", checkpoint, null, 0.1);
    StreamFiles.run(spark, input(), options, StreamFiles.spec(), null);
    Files.delete(checkpoint.resolve("sparknorm/running/1"));
    files(2, 3);
    StreamingQueryException failure = assertThrows(StreamingQueryException.class,
        () -> StreamFiles.run(spark, input(), options, StreamFiles.spec(), null));
    assertEquals("the checkpoint " + checkpoint + " lacks sparknorm's state of the running statistics for batch 1,"
        + " which its commit log says was committed; start a new --checkpoint",
        deepest(failure));
    assertFalse(Files.exists(results.resolve("out/batch_id=2")));
  }

  @Test
  void aCheckpointOfAnotherMomentumIsRefused() throws Exception {
    files(0, 1);
    Path checkpoint = dir.resolve("checkpoint");
    StreamFiles.run(spark, input(), StreamFiles.options(results.resolve("out").toString(), "parquet", checkpoint,
        null, 0.1), StreamFiles.spec(), null);
    files(1, 2);
    StreamingQueryException failure = assertThrows(StreamingQueryException.class, () -> StreamFiles.run(spark,
        input(), StreamFiles.options(results.resolve("out").toString(), "parquet", checkpoint, null, null),
        StreamFiles.spec(), null));
    assertEquals("the checkpoint " + checkpoint + " holds running statistics made with --momentum 0.1, not none;"
        + " give the same --momentum or start a new --checkpoint", deepest(failure));
  }

  @Test
  void momentumNoneFromAFileNeedsItsCount() throws Exception {
    Path start = dir.resolve("start.json");
    Files.writeString(start, "{\"mean\": [1, 2, 3], \"var\": [4, 5, 6]}");
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    JobOptions options = StreamFiles.options(results.resolve("out").toString(), "parquet", dir.resolve("cp"), null,
        null);
    options.statsIn = start.toString();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunningStatisticsBatches.start(
        options, StreamFiles.spec(), StatisticsFiles.read(start.toString(), conf, "stats-in file"), spark, conf));
    assertEquals("stats-in file " + start + ": --momentum none goes on from the exact statistics of the values the file"
        + " summarizes: it needs their count (at least 2), mean and var", e.getMessage());
  }
}
