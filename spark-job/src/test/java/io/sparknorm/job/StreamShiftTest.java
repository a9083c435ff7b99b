package io.sparknorm.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparknorm.core.ChannelSketches;
import io.sparknorm.core.ProfileSet;
import io.sparknorm.core.Shape;
import io.sparknorm.core.StatisticsProfile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * {@code --stream --shift-from}: the digits (data/digits.jsonl) arriving as files, one a micro-batch, each compared
 * with the profile of all the digits; a file with one pixel moved (+8 on pixel 21) is the micro-batch that shifted.
 * Both paths: per row (layer norm: with --fail-on-shift a foreachBatch function that compares before it writes, else
 * Spark's file sink with the sketches observed) and running statistics (foreachBatch).
 */
class StreamShiftTest extends JobTestSupport {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path DIGITS = Path.of("..", "data", "digits.jsonl");
  private static final String SCHEMA = "id BIGINT, label INT, features ARRAY<DOUBLE>";
  private static final int PLANTED = 21;
  private static final int ROWS = 599;
  private static final Pattern LINE = Pattern.compile("sparknorm: batch (\\d+) rows=(\\d+) .* stats_count=\\S+"
      + " shifted=(\\d+)( worst=(\\d+):(\\S+))?");

  private Path input;
  private Path profile;
  /** The profile the stream compares with: null for the one made here from the sketches of all the digits. */
  private Path profileFrom;

  /**
   * Five files, in this order: the digits in three parts (rows 0-598, 599-1197, 1198-1796), then rows 0-598 again with
   * pixel 21 moved by +8 (the shifted micro-batch 3), then rows 599-1197 again (micro-batch 4); and the profile of all
   * the digits, made from their sketches.
   */
  private void digitsArriving() throws IOException {
    List<String> digits = Files.readAllLines(DIGITS, StandardCharsets.UTF_8);
    assertEquals(3 * ROWS, digits.size());
    input = Files.createDirectories(dir.resolve("in"));
    long base = System.currentTimeMillis() - 3_600_000;
    ChannelSketches sketches = new ChannelSketches(Shape.of(64));
    for (String line : digits) {
      sketches.update(features(JSON.readTree(line)));
    }
    for (int k = 0; k < 5; k++) {
      List<String> lines = new ArrayList<>();
      int from = k == 3 ? 0 : k == 4 ? ROWS : k * ROWS;
      for (String line : digits.subList(from, from + ROWS)) {
        ObjectNode row = (ObjectNode) JSON.readTree(line);
        row.put("id", row.get("id").asLong() + (k >= 3 ? 10_000L * k : 0));
        if (k == 3) {
          ArrayNode values = (ArrayNode) row.get("features");
          values.set(PLANTED, values.get(PLANTED).asDouble() + 8);
        }
        lines.add(JSON.writeValueAsString(row));
      }
      Path file = input.resolve(String.format("digits-%d.jsonl", k));
      Files.write(file, lines, StandardCharsets.UTF_8);
      // The file source takes the oldest first: one file a micro-batch, in this order.
      Files.setLastModifiedTime(file, FileTime.fromMillis(base + k * 1000L));
    }
    profile = dir.resolve("digits.profile.json");
    Files.writeString(profile, ProfileSet.of(StatisticsProfile.of(sketches, null)).toJson());
  }

  private static double[] features(JsonNode row) {
    JsonNode values = row.get("features");
    double[] sample = new double[values.size()];
    for (int i = 0; i < sample.length; i++) {
      sample[i] = values.get(i).asDouble();
    }
    return sample;
  }

  private JobRun stream(String output, String... more) throws IOException {
    digitsArriving();
    List<String> args = new ArrayList<>(List.of("--stream", "--input", input.toString(), "--input-format", "json",
        "--schema", SCHEMA, "--output", results.resolve(output).toString(), "--checkpoint",
        dir.resolve(output + ".checkpoint").toString(), "--max-files-per-trigger", "1", "--shape", "64",
        "--shift-from", (profileFrom != null ? profileFrom : profile).toString()));
    args.addAll(List.of(more));
    return JobRun.of(args.toArray(new String[0]));
  }

  private static List<Matcher> lines(JobRun run) {
    return run.err().lines().map(LINE::matcher).filter(Matcher::matches).toList();
  }

  /** Micro-batches 0 to 2 are the profile's digits: no channel flagged; 3 has the planted pixel as its worst. */
  private static void assertReported(JobRun run, int batches) {
    List<Matcher> lines = lines(run);
    assertEquals(batches, lines.size(), run.err());
    for (int k = 0; k < batches; k++) {
      Matcher line = lines.get(k);
      assertEquals(Integer.toString(k), line.group(1), run.err());
      assertEquals(Integer.toString(ROWS), line.group(2));
      if (k == 3) {
        assertTrue(Integer.parseInt(line.group(3)) >= 1, line.group());
        assertEquals(Integer.toString(PLANTED), line.group(5), "the worst channel: " + line.group());
        assertTrue(line.group(6).contains("SHIFTED"), line.group());
      } else {
        assertEquals("0", line.group(3), "no shift in micro-batch " + k + ": " + line.group());
        assertEquals(null, line.group(4));
      }
    }
  }

  /** The --shift-out file: the comparison of micro-batch {@code batchId}, the planted pixel flagged SHIFTED. */
  private static void assertShiftOut(Path file, long batchId, boolean shifted) throws IOException {
    JsonNode out = JSON.readTree(file.toFile());
    assertEquals(batchId, out.get("batch_id").asLong());
    assertEquals(64, out.get("summary").get("channels").asInt());
    assertEquals(64, out.get("channels").size());
    JsonNode planted = out.get("channels").get(PLANTED);
    assertEquals(PLANTED, planted.get("index").asInt());
    List<String> flags = new ArrayList<>();
    planted.get("flags").forEach(f -> flags.add(f.asText()));
    assertEquals(shifted, flags.contains("SHIFTED"), planted.toString());
    if (shifted) {
      assertTrue(out.get("summary").get("flagged").asInt() >= 1);
      assertEquals(PLANTED, out.get("summary").get("worst").get("index").asInt());
      assertTrue(planted.get("mean_shift_sd").asDouble() > 1, planted.toString());
    } else {
      assertEquals(0, out.get("summary").get("flagged").asInt(), out.toString());
    }
  }

  private long rowsOut(String output) {
    return spark.read().parquet(results.resolve(output).toString()).count();
  }

  @Test
  void aPerRowStreamDoesNotCommitTheShiftedMicroBatch() throws IOException {
    Path shiftOut = dir.resolve("shift.json");
    JobRun run = stream("layer", "--method", "layer", "--shift-out", shiftOut.toString(), "--fail-on-shift");
    assertEquals(3, run.exit(), run.err());
    assertEquals("", run.out(), "no summary line");
    assertReported(run, 3);
    assertShifted(run);
    assertShiftOut(shiftOut, 3, true);
    List<String> committed = List.of("batch_id=0", "batch_id=1", "batch_id=2");
    assertEquals(committed, JobRun.listing(results.resolve("layer")).stream().filter(f -> !f.contains("/")).toList(),
        "micro-batch 3's folder absent");
    assertEquals(3 * ROWS, rowsOut("layer"));

    // The values of micro-batches 0 to 2 are those of Spark's file sink (the stream without the gate), bit for bit.
    JobRun plain = stream("plain", "--method", "layer");
    plain.assertSucceeded("layer", 5 * ROWS, 5 * ROWS, 0, 0);
    List<Row> gated = spark.read().parquet(results.resolve("layer").toString()).select("id", "features")
        .orderBy("id").collectAsList();
    List<Row> sink = spark.read().parquet(results.resolve("plain").toString()).select("id", "features")
        .orderBy("id").limit(3 * ROWS).collectAsList();
    assertEquals(3 * ROWS, gated.size());
    for (int i = 0; i < gated.size(); i++) {
      assertEquals(sink.get(i).getLong(0), gated.get(i).getLong(0));
      assertArrayEquals(values(sink.get(i)), values(gated.get(i)), "id " + gated.get(i).getLong(0));
    }

    // A restart with the same checkpoint runs micro-batch 3 again: shifted again, still not committed.
    JobRun again = stream("layer", "--method", "layer", "--fail-on-shift");
    assertEquals(3, again.exit(), again.err());
    assertShifted(again);
    assertEquals(committed, JobRun.listing(results.resolve("layer")).stream().filter(f -> !f.contains("/")).toList());
    assertFalse(again.err().contains("sparknorm: batch 0 "), again.err());
  }

  private static void assertShifted(JobRun run) {
    List<String> errors = run.errorLines();
    assertEquals(1, errors.size(), run.err());
    assertTrue(errors.get(0).startsWith("error: --fail-on-shift: micro-batch 3 shifted from profile "), errors.get(0));
    assertTrue(errors.get(0).contains("the worst: channel " + PLANTED + " is "), errors.get(0));
    assertTrue(errors.get(0).contains("mean_shift_sd="), errors.get(0));
    assertTrue(errors.get(0).endsWith("; micro-batch 3 is not committed and the micro-batches before it stay committed;"
        + " a restart with the same --checkpoint runs micro-batch 3 again"), errors.get(0));
  }

  /** The normalized sample (the input column replaced), as doubles compared bit for bit by assertArrayEquals. */
  private static double[] values(Row row) {
    return row.getList(1).stream().mapToDouble(v -> ((Number) v).doubleValue()).toArray();
  }

  @Test
  void runningStatisticsDoNotCommitTheShiftedMicroBatch() throws IOException {
    Path shiftOut = dir.resolve("shift.json");
    Path statsOut = dir.resolve("running.json");
    JobRun run = stream("running", "--method", "batch", "--momentum", "0.1", "--stats-out", statsOut.toString(),
        "--shift-out", shiftOut.toString(), "--fail-on-shift");
    assertEquals(3, run.exit(), run.err());
    assertEquals("", run.out(), "no summary line");
    assertReported(run, 3);
    List<String> errors = run.errorLines();
    assertEquals(1, errors.size(), run.err());
    assertTrue(errors.get(0).startsWith("error: --fail-on-shift: micro-batch 3 shifted from profile "), errors.get(0));
    assertTrue(errors.get(0).contains("the worst: channel " + PLANTED + " is "), errors.get(0));
    assertTrue(errors.get(0).contains("micro-batch 3 is not committed"), errors.get(0));
    assertShiftOut(shiftOut, 3, true);
    assertEquals(List.of("batch_id=0", "batch_id=1", "batch_id=2"), JobRun.listing(results.resolve("running"))
        .stream().filter(f -> !f.contains("/")).toList(), "micro-batch 3's folder absent");
    assertEquals(3 * ROWS, rowsOut("running"));
    assertEquals(2, JSON.readTree(statsOut.toFile()).get("batch_id").asLong(), "the running statistics of 0 to 2");
  }

  @Test
  void withoutTheGateTheStreamGoesOnPastTheShiftedMicroBatch() throws IOException {
    Path shiftOut = dir.resolve("shift.json");
    // The profile the batch job writes, with the exact statistics of all the digits.
    Path fitted = dir.resolve("fitted.profile.json");
    JobRun.of("--input", DIGITS.toString(), "--input-format", "json", "--method", "batch", "--shape", "64",
        "--stats-only", "--profile-out", fitted.toString()).assertSucceeded("batch", 3 * ROWS, 0, 0, 0);
    profileFrom = fitted;
    JobRun run = stream("running", "--method", "batch", "--momentum", "none", "--shift-out", shiftOut.toString());
    run.assertSucceeded("batch", 5 * ROWS, 5 * ROWS, 0, 0);
    assertReported(run, 5);
    assertShiftOut(shiftOut, 4, false);
    assertEquals(5 * ROWS, rowsOut("running"));
  }

  @Test
  void aProfileOfAnotherShapeOrNoneIsRefusedBeforeAnythingIsWritten() throws IOException {
    digitsArriving();
    JobRun run = JobRun.of("--stream", "--input", input.toString(), "--input-format", "json", "--schema", SCHEMA,
        "--output", results.resolve("o").toString(), "--checkpoint", results.resolve("cp").toString(),
        "--method", "layer", "--shape", "4,16", "--shift-from", profile.toString());
    run.assertFailed("error: --shift-from " + profile + " is a profile of shape (64,), but the stream's samples have"
        + " shape (4,16)", results);
    Path missing = dir.resolve("missing.json");
    JobRun none = JobRun.of("--stream", "--input", input.toString(), "--input-format", "json", "--schema", SCHEMA,
        "--output", results.resolve("o").toString(), "--checkpoint", results.resolve("cp").toString(),
        "--method", "layer", "--shift-from", missing.toString());
    none.assertFailed("error: --shift-from: profile file " + missing + " does not exist", results);
  }

  @Test
  void whatAStreamCannotTakeWithTheShiftIsRefused() {
    String[][] cases = {
        {"--method", "layer", "--profile-out", "p.json"},
        {"--method", "batch", "--stats-in", "s.json", "--by", "label", "--shift-from", "p.json"},
        {"--method", "layer", "--fail-on-shift"},
        {"--method", "layer", "--shift-out", "s.json"},
    };
    String[] reasons = {
        "error: --profile-out is not for --stream: a stream never ends",
        "error: --by with --shift-from is not for --stream: ",
        "error: --fail-on-shift needs --shift-from PROFILE",
        "error: --shift-out writes the comparison with a profile: give --shift-from PROFILE",
    };
    for (int i = 0; i < cases.length; i++) {
      List<String> args = new ArrayList<>(List.of("--stream", "--input", "in", "--output", "out", "--checkpoint",
          "cp"));
      args.addAll(List.of(cases[i]));
      JobRun run = JobRun.of(args.toArray(new String[0]));
      assertEquals(2, run.exit(), run.err());
      assertEquals(1, run.errorLines().size(), run.err());
      assertTrue(run.errorLines().get(0).startsWith(reasons[i]), run.errorLines().get(0));
    }
  }
}
