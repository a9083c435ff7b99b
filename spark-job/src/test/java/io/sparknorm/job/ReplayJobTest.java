package io.sparknorm.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparknorm.core.GoldenFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Mini-batch replay through the job ({@code --batch-size}, {@code --order-by}, {@code --momentum},
 * {@code --stats-in} as the starting point): every PyTorch replay golden's outputs and running
 * statistics, the statistics file's PyTorch names, and the refusals.
 */
class ReplayJobTest extends JobTestSupport {
  private static final ObjectMapper JSON = new ObjectMapper();

  static Stream<GoldenFiles.Replay> replays() {
    return GoldenFiles.replay().stream().filter(r -> r.torchError() == null);
  }

  static Stream<GoldenFiles.Replay> refusedReplays() {
    return GoldenFiles.replay().stream().filter(r -> r.torchError() != null);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("replays")
  void replaysPyTorchsTrainingMode(GoldenFiles.Replay r) throws IOException {
    Path input = writeRows(r, false);
    Path stats = results.resolve("stats.json");
    List<String> args = new ArrayList<>(List.of("--input", input.toString(), "--output",
        results.resolve("out").toString(), "--method", "batch", "--shape", shape(r), "--eps", Double.toString(r.eps()),
        "--batch-size", Integer.toString(r.batchSize()), "--momentum", Double.toString(r.momentum()),
        "--stats-out", stats.toString()));
    addAffine(r, args);
    addStart(r, args);
    JobRun run = JobRun.of(args.toArray(new String[0]));
    assertEquals(0, run.exit(), run.err());
    int n = r.rows().length;
    assertTrue(run.out().startsWith("sparknorm: method=batch rows_in=" + n + " rows_out=" + n + " rows_skipped=0 "),
        run.out());
    assertOutputs(r, results.resolve("out"));

    JsonNode file = JSON.readTree(stats.toFile());
    double[] runningMean = r.runningMean().get(r.runningMean().size() - 1);
    double[] runningVar = r.runningVar().get(r.runningVar().size() - 1);
    double tolerance = r.isDouble() ? 1e-12 : 1e-5;
    for (int c = 0; c < runningMean.length; c++) {
      for (String key : List.of("running_mean", "mean")) {
        assertEquals(runningMean[c], file.get(key).get(c).asDouble(), tolerance * Math.max(1, Math.abs(runningMean[c])),
            key + "[" + c + "]");
      }
      for (String key : List.of("running_var", "var")) {
        assertEquals(runningVar[c], file.get(key).get(c).asDouble(), tolerance * Math.max(1, runningVar[c]),
            key + "[" + c + "]");
      }
    }
    assertEquals(r.batches(), file.get("num_batches_tracked").asLong());
    assertEquals(r.batchSize(), file.get("batch_size").asInt());
    assertEquals(r.momentum(), file.get("momentum").asDouble());
  }

  @Test
  void orderByFormsTheMiniBatchesInThatColumnsOrder() throws IOException {
    GoldenFiles.Replay r = GoldenFiles.replay().stream().filter(g -> g.name().equals("replay_c4_b5_f64")).findFirst()
        .orElseThrow();
    Path shuffled = writeRows(r, true);
    JobRun run = JobRun.of("--input", shuffled.toString(), "--output", results.resolve("out").toString(),
        "--method", "batch", "--shape", shape(r), "--batch-size", "5", "--order-by", "row",
        "--stats-out", results.resolve("stats.json").toString());
    assertEquals(0, run.exit(), run.err());
    assertOutputs(r, results.resolve("out"));
    assertEquals("row", JSON.readTree(results.resolve("stats.json").toFile()).get("order_by").asText());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedReplays")
  void aMiniBatchWithOneValuePerChannelIsRefusedAsPyTorchRefusesIt(GoldenFiles.Replay r) throws IOException {
    Path input = writeRows(r, false);
    JobRun run = JobRun.of("--input", input.toString(), "--output", results.resolve("out").toString(),
        "--method", "batch", "--shape", shape(r), "--batch-size", Integer.toString(r.batchSize()));
    int last = r.rows().length - 1;
    // The golden numbers mini-batches from 0, the message from 1.
    run.assertFailed("error: column 'features': mini-batch " + (r.errorBatch() + 1) + " of " + r.batches() + " (rows " + last
        + " to " + last + ") has 1 value per channel; batch norm in training mode needs more than 1 (PyTorch: Expected"
        + " more than 1 value per channel when training)", results);
    assertTrue(r.torchError().startsWith("Expected more than 1 value per channel when training"), r.torchError());
  }

  /**
   * PyTorch's module: loading a state dict sets num_batches_tracked, each training batch adds 1. Starting from a file
   * of 3, three mini-batches later the count is 6; the running statistics move as from any start.
   */
  @Test
  void aReplayFromAFileContinuesItsBatchCount() throws IOException {
    GoldenFiles.Replay r = GoldenFiles.replay().stream().filter(g -> g.name().equals("replay_c4_b8_f64")).findFirst()
        .orElseThrow();
    assertEquals(3, r.batches());
    ObjectNode start = JSON.createObjectNode();
    Arrays.stream(r.initialRunningMean()).forEach(start.putArray("running_mean")::add);
    Arrays.stream(r.initialRunningVar()).forEach(start.putArray("running_var")::add);
    start.put("num_batches_tracked", 3);
    Path startFile = dir.resolve("start.json");
    Files.writeString(startFile, start.toString());
    Path stats = results.resolve("stats.json");
    JobRun run = JobRun.of("--input", writeRows(r, false).toString(), "--output", results.resolve("out").toString(),
        "--method", "batch", "--shape", shape(r), "--eps", Double.toString(r.eps()), "--batch-size", "8",
        "--momentum", Double.toString(r.momentum()), "--stats-in", startFile.toString(), "--stats-out", stats.toString());
    assertEquals(0, run.exit(), run.err());
    JsonNode file = JSON.readTree(stats.toFile());
    assertEquals(6, file.get("num_batches_tracked").asLong());
    double[] runningMean = r.runningMean().get(r.runningMean().size() - 1);
    for (int c = 0; c < runningMean.length; c++) {
      assertEquals(runningMean[c], file.get("running_mean").get(c).asDouble(), 1e-12 * Math.max(1, Math.abs(runningMean[c])));
    }
  }

  @Test
  void statsOnlyReplayWritesTheRunningStatisticsAndNoData() throws IOException {
    GoldenFiles.Replay r = GoldenFiles.replay().stream().filter(g -> g.name().equals("replay_c4_b8_f64")).findFirst()
        .orElseThrow();
    Path input = writeRows(r, false);
    Path stats = results.resolve("stats.json");
    JobRun run = JobRun.of("--input", input.toString(), "--method", "batch", "--shape", shape(r), "--batch-size", "8",
        "--stats-only", "--stats-out", stats.toString());
    assertEquals(0, run.exit(), run.err());
    assertTrue(run.out().startsWith("sparknorm: method=batch rows_in=23 rows_out=0 rows_skipped=0 "), run.out());
    assertEquals(List.of("stats.json"), JobRun.listing(results).stream().filter(f -> !f.startsWith(".")).toList());
    double[] runningVar = r.runningVar().get(r.runningVar().size() - 1);
    JsonNode file = JSON.readTree(stats.toFile());
    for (int c = 0; c < runningVar.length; c++) {
      assertEquals(runningVar[c], file.get("running_var").get(c).asDouble(), 1e-12 * Math.max(1, runningVar[c]));
    }
  }

  @Test
  void optionsThatDoNotGoTogetherAreRefusedBeforeTheData() {
    String in = Path.of("..", "data", "digits.jsonl").toString();
    String out = results.resolve("out").toString();
    assertRefused("error: --momentum is only for --batch-size",
        "--input", in, "--output", out, "--method", "batch", "--momentum", "0.3");
    assertRefused("error: --order-by is only for --batch-size",
        "--input", in, "--output", out, "--method", "batch", "--order-by", "id");
    assertRefused("error: --batch-size is 0, must be at least 1",
        "--input", in, "--output", out, "--method", "batch", "--batch-size", "0");
    assertRefused("error: --momentum is 1.5, must be in [0, 1]",
        "--input", in, "--output", out, "--method", "batch", "--batch-size", "4", "--momentum", "1.5");
    assertRefused("error: --by and --batch-size do not go together: a mini-batch replay keeps one set of running"
        + " statistics", "--input", in, "--output", out, "--method", "batch", "--batch-size", "4", "--by", "label");
    assertRefused("error: --batch-size is only for batch norm, not group",
        "--input", in, "--output", out, "--method", "group", "--groups", "1", "--batch-size", "4");
  }

  private void assertRefused(String errorLine, String... args) {
    JobRun run = JobRun.of(args);
    assertEquals(2, run.exit(), run.err());
    assertEquals(List.of(errorLine), run.errorLines());
  }

  /** The golden's rows as JSON lines {"row": i, "features": [...]}, in order or shuffled. */
  private Path writeRows(GoldenFiles.Replay r, boolean shuffled) throws IOException {
    List<Integer> order = IntStream.range(0, r.rows().length).boxed().collect(Collectors.toList());
    if (shuffled) {
      Collections.shuffle(order, new Random(11));
    }
    List<String> lines = new ArrayList<>();
    for (int i : order) {
      ObjectNode row = JSON.createObjectNode().put("row", i);
      ArrayNode features = row.putArray("features");
      Arrays.stream(r.rows()[i]).forEach(features::add);
      lines.add(row.toString());
    }
    Path input = dir.resolve(shuffled ? "shuffled.jsonl" : "rows.jsonl");
    Files.write(input, lines);
    return input;
  }

  private void addAffine(GoldenFiles.Replay r, List<String> args) throws IOException {
    if (r.weight() == null && r.bias() == null) {
      return;
    }
    Path file = GoldenFiles.writeAffine(dir.resolve("affine.json"), r.weight(), r.bias());
    args.addAll(List.of("--affine", file.toString()));
  }

  /** A golden that starts from other running statistics gets them as a --stats-in file of PyTorch's names. */
  private void addStart(GoldenFiles.Replay r, List<String> args) throws IOException {
    boolean standard = Arrays.stream(r.initialRunningMean()).allMatch(v -> v == 0)
        && Arrays.stream(r.initialRunningVar()).allMatch(v -> v == 1);
    if (standard) {
      return;
    }
    ObjectNode start = JSON.createObjectNode();
    Arrays.stream(r.initialRunningMean()).forEach(start.putArray("running_mean")::add);
    Arrays.stream(r.initialRunningVar()).forEach(start.putArray("running_var")::add);
    Path file = dir.resolve("start.json");
    Files.writeString(file, start.toString());
    args.addAll(List.of("--stats-in", file.toString()));
  }

  private static String shape(GoldenFiles.Replay r) {
    return GoldenFiles.shapeArg(r.shape());
  }

  /** Each row's output against PyTorch's: the README's tolerances (1e-9 of the exact value, 1e-5 for float). */
  private static void assertOutputs(GoldenFiles.Replay r, Path output) {
    List<Row> rows = spark.read().parquet(output.toString()).orderBy("row").collectAsList();
    assertEquals(r.rows().length, rows.size());
    for (int s = 0; s < rows.size(); s++) {
      List<Object> actual = rows.get(s).getList(rows.get(s).fieldIndex("features"));
      double[] expected = r.exactOutputs() != null ? r.exactOutputs()[s] : r.outputs()[s];
      for (int i = 0; i < expected.length; i++) {
        double got = ((Number) actual.get(i)).doubleValue();
        assertEquals(expected[i], got, r.tolerance() * Math.max(1, Math.abs(expected[i])),
            r.name() + " row " + s + " element " + i);
      }
    }
  }
}
