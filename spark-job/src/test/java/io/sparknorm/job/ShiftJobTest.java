package io.sparknorm.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparknorm.spark.SparkTestSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Covariate shift through the job: {@code --profile-out} taken in the pass the job runs anyway
 * (batch norm's exact statistics, the per-sample methods' write, no extra Spark job), then
 * {@code --shift-from} on the same digits (nothing flagged) and on a copy with one pixel moved
 * (that pixel flagged, its figures in {@code --shift-out} and on {@code --fail-on-shift}'s error
 * line, exit 3 and nothing else written, a table output included), per {@code --by} key with a key
 * the profile lacks, {@code --stats-only} as the check alone, and the usage and file errors. In a
 * session of its own whose warehouse is a temporary folder, for the table output.
 */
class ShiftJobTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path DIGITS = Path.of("..", "data", "digits.jsonl");
  private static final String WINE = Path.of("..", "data", "wine.csv").toString();
  /** The pixel the planted copy moves, and by how much: about 2 of its standard deviations. */
  private static final int PLANTED = 20;
  private static final int MOVE = 10;
  private static final String SUMMARY = "sparknorm: method=%s rows_in=%d rows_out=%d rows_skipped=0 invalid_kept=0"
      + " seconds=\\d+\\.\\d\\d rows_per_s=\\d+ mb_per_s=\\d+\\.\\d";

  static SparkSession spark;
  @TempDir
  static Path warehouse;
  @TempDir
  Path dir;
  Path results;

  @BeforeAll
  static void start() {
    spark = SparkTestSession.start(Map.of("spark.sql.warehouse.dir", warehouse.toString()));
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  @BeforeEach
  void makeResultsFolder() throws IOException {
    results = Files.createDirectories(dir.resolve("results"));
  }

  @AfterEach
  void dropTables() {
    TableData.dropAll(spark);
  }

  @Test
  void batchProfileHoldsTheExactStatisticsAndTheSameDataIsNotShifted() throws IOException, TimeoutException {
    Path profile = dir.resolve("profile.json");
    Path stats = dir.resolve("stats.json");
    String[] args = {"--input", DIGITS.toString(), "--method", "batch", "--shape", "64", "--quiet"};
    int withoutProfile = sparkJobs(() -> assertSummary(JobRun.of(concat(args, "--output", dir.resolve("plain")
        .toString(), "--stats-out", dir.resolve("plain.json").toString())), "batch", 1797, 1797, null));
    int withProfile = sparkJobs(() -> assertSummary(JobRun.of(concat(args, "--output", dir.resolve("out").toString(),
        "--stats-out", stats.toString(), "--profile-out", profile.toString())), "batch", 1797, 1797, null));
    assertEquals(withoutProfile, withProfile, "the profile is taken in the statistics pass, no job of its own");

    JsonNode file = JSON.readTree(profile.toFile());
    JsonNode statistics = JSON.readTree(stats.toFile());
    assertEquals("sparknorm-profile", file.get("format").asText());
    assertEquals("exact", file.get("moments").asText());
    assertEquals(64, file.get("channels").size());
    for (int c = 0; c < 64; c++) {
      JsonNode channel = file.get("channels").get(c);
      assertEquals(c, channel.get("index").asInt());
      assertEquals(1797, channel.get("count").asLong());
      assertEquals(Double.doubleToLongBits(statistics.get("mean").get(c).asDouble()),
          Double.doubleToLongBits(channel.get("mean").asDouble()), "mean of channel " + c);
      assertEquals(Double.doubleToLongBits(statistics.get("var").get(c).asDouble()),
          Double.doubleToLongBits(channel.get("var").asDouble()), "var of channel " + c);
    }

    Path shift = results.resolve("shift.json");
    JobRun again = JobRun.of("--input", DIGITS.toString(), "--output", results.resolve("out").toString(), "--method",
        "batch", "--shape", "64", "--shift-from", profile.toString(), "--shift-out", shift.toString(),
        "--fail-on-shift", "--quiet");
    assertSummary(again, "batch", 1797, 1797, 0);
    JsonNode comparison = JSON.readTree(shift.toFile());
    assertEquals(64, comparison.get("summary").get("channels").asInt());
    assertEquals(0, comparison.get("summary").get("flagged").asInt());
    assertEquals(List.of("out", "shift.json"), visible(results));

    // With --stats-in the input's profile is taken while writing; the moments are then the sketches'.
    Path given = dir.resolve("given.json");
    assertSummary(JobRun.of("--input", DIGITS.toString(), "--output", dir.resolve("given").toString(), "--method",
        "batch", "--stats-in", stats.toString(), "--shift-from", profile.toString(), "--profile-out", given.toString(),
        "--quiet"), "batch", 1797, 1797, 0);
    assertEquals("sketch", JSON.readTree(given.toFile()).get("moments").asText());
  }

  @Test
  void aPerSampleMethodsProfileIsTakenWhileWritingAndFindsThePlantedPixel() throws IOException, TimeoutException {
    Path profile = dir.resolve("profile.json");
    String[] reference = {"--input", DIGITS.toString(), "--method", "layer", "--shape", "64", "--quiet"};
    int withoutProfile = sparkJobs(() -> assertSummary(JobRun.of(concat(reference, "--output",
        dir.resolve("plain").toString())), "layer", 1797, 1797, null));
    int withProfile = sparkJobs(() -> assertSummary(JobRun.of(concat(reference, "--output",
        dir.resolve("ref").toString(), "--profile-out", profile.toString())), "layer", 1797, 1797, null));
    assertEquals(withoutProfile, withProfile, "the profile is taken in the write, no job of its own");
    JsonNode file = JSON.readTree(profile.toFile());
    assertEquals("sketch", file.get("moments").asText());
    double referenceStd = Math.sqrt(file.get("channels").get(PLANTED).get("var").asDouble());

    Path planted = planted();
    Path shift = results.resolve("shift.json");
    Path report = results.resolve("report.html");
    JobRun run = JobRun.of("--input", planted.toString(), "--output", results.resolve("out").toString(), "--method",
        "layer", "--shape", "64", "--shift-from", profile.toString(), "--shift-out", shift.toString(), "--report",
        report.toString(), "--quiet");
    JsonNode comparison = JSON.readTree(shift.toFile());
    int flagged = comparison.get("summary").get("flagged").asInt();
    assertSummary(run, "layer", 1797, 1797, flagged);
    assertTrue(flagged >= 1, run.out());
    JsonNode summary = comparison.get("summary");
    assertEquals(64, summary.get("channels").asInt());
    for (String flag : List.of("SHIFTED", "MODE_LOST", "MODE_NEW", "OUT_OF_RANGE")) {
      assertTrue(summary.get("flags").has(flag), summary.toString());
    }
    JsonNode channel = comparison.get("channels").get(PLANTED);
    assertEquals(PLANTED, channel.get("index").asInt());
    for (String field : List.of("flags", "mean_shift_sd", "var_ratio", "psi", "ks", "ks_error", "wasserstein_sd",
        "out_of_range", "modes_reference", "modes_now")) {
      assertTrue(channel.has(field), field + " in " + channel);
    }
    assertTrue(flags(channel).contains("SHIFTED"), channel.toString());
    // The same values moved by MOVE: the mean by MOVE, the variance not at all (both from the sketches' moments).
    assertEquals(MOVE / referenceStd, channel.get("mean_shift_sd").asDouble(), 1e-9);
    assertEquals(1.0, channel.get("var_ratio").asDouble(), 1e-9);
    // The report draws the same comparison: the planted pixel's row carries its shift flags, an unmoved pixel's none.
    String page = Files.readString(report);
    assertTrue(rowFlags(page, PLANTED).contains("shifted"), rowFlags(page, PLANTED).toString());
    assertEquals(List.of(), rowFlags(page, 0).stream().filter(f -> List.of("shifted", "mode-lost", "mode-new",
        "out-of-range").contains(f)).toList());
  }

  /** The flags of channel c's row in the report page (HtmlReport's {@code data-flags}). */
  private static List<String> rowFlags(String page, int c) {
    Matcher row = Pattern.compile("<tr class=\"channel[^\"]*\"[^>]*? data-channel=\"" + c
        + "\"[^>]*? data-flags=\"([^\"]*)\"").matcher(page);
    assertTrue(row.find(), "no row of channel " + c);
    return List.of(row.group(1).split(" "));
  }

  @Test
  void failOnShiftExitsThreeNamingTheWorstPixelAndCommitsNothingButTheComparison() throws IOException {
    Path profile = dir.resolve("profile.json");
    assertSummary(JobRun.of("--input", DIGITS.toString(), "--method", "batch", "--shape", "64", "--stats-only",
        "--profile-out", profile.toString(), "--quiet"), "batch", 1797, 0, null);
    Path planted = planted();
    Path shift = results.resolve("shift.json");
    String[] gated = {"--input", planted.toString(), "--output", results.resolve("out").toString(), "--method",
        "batch", "--shape", "64", "--stats-out", results.resolve("stats.json").toString(), "--profile-out",
        results.resolve("profile.json").toString(), "--report", results.resolve("report.html").toString(),
        "--shift-from", profile.toString(), "--shift-out", shift.toString(), "--fail-on-shift", "--quiet"};
    JobRun run = JobRun.of(gated);
    assertEquals(3, run.exit(), run.err());
    assertEquals("", run.out());
    JsonNode comparison = JSON.readTree(shift.toFile());
    assertEquals(List.of(refusal(comparison, profile, shift)), run.errorLines());
    assertEquals(List.of("shift.json"), JobRun.listing(results).stream().filter(f -> !f.equals(".shift.json.crc"))
        .toList(), "nothing but the comparison");

    // A per-sample method writes to the staged output as it sketches the input: the staged output is withdrawn.
    Path layerResults = Files.createDirectories(dir.resolve("layer"));
    JobRun layer = JobRun.of("--input", planted.toString(), "--output", layerResults.resolve("out").toString(),
        "--method", "layer", "--shape", "64", "--shift-from", profile.toString(), "--fail-on-shift", "--quiet");
    assertEquals(3, layer.exit(), layer.err());
    assertEquals(1, layer.errorLines().size(), layer.err());
    assertTrue(layer.errorLines().get(0).startsWith("error: covariate shift: channel " + PLANTED + " is "),
        layer.err());
    assertTrue(layer.errorLines().get(0).endsWith("; nothing was written"), layer.err());
    assertEquals(List.of(), JobRun.listing(layerResults));

    // A table is committed by its write: the gate is decided in a pass before it, and no table is made.
    JobRun table = JobRun.of("--input", planted.toString(), "--output-table", "shifted", "--method", "layer",
        "--shape", "64", "--shift-from", profile.toString(), "--fail-on-shift", "--quiet");
    assertEquals(3, table.exit(), table.err());
    assertEquals(1, table.errorLines().size(), table.err());
    assertFalse(spark.catalog().tableExists("shifted"));
    assertEquals(List.of(), JobRun.listing(warehouse));

    // Without the gate the same table run commits, and says how many channels shifted.
    JobRun ungated = JobRun.of("--input", planted.toString(), "--output-table", "shifted", "--method", "layer",
        "--shape", "64", "--shift-from", profile.toString(), "--quiet");
    assertEquals(0, ungated.exit(), ungated.err());
    assertTrue(ungated.out().strip().matches(".* shifted=[1-9][0-9]*"), ungated.out());
    assertEquals(1797, spark.table("shifted").count());
  }

  @Test
  void statsOnlyWithShiftFromIsTheCheckAlone() throws IOException {
    Path profile = dir.resolve("profile.json");
    assertSummary(JobRun.of("--input", DIGITS.toString(), "--method", "batch", "--stats-only", "--profile-out",
        profile.toString(), "--quiet"), "batch", 1797, 0, null);
    assertSummary(JobRun.of("--input", DIGITS.toString(), "--method", "batch", "--stats-only", "--shift-from",
        profile.toString(), "--fail-on-shift", "--quiet"), "batch", 1797, 0, 0);
    assertEquals(List.of(), JobRun.listing(results));

    JobRun shifted = JobRun.of("--input", planted().toString(), "--method", "batch", "--stats-only", "--shift-from",
        profile.toString(), "--stats-out", results.resolve("stats.json").toString(), "--fail-on-shift", "--quiet");
    assertEquals(3, shifted.exit(), shifted.err());
    assertTrue(shifted.errorLines().get(0).startsWith("error: covariate shift: channel " + PLANTED + " is "),
        shifted.err());
    assertEquals(List.of(), JobRun.listing(results));
  }

  @Test
  void perKeyEachKeyAgainstItsOwnAndAKeyTheProfileLacksIsUnseen() throws IOException {
    // The reference has no digit 9.
    Path withoutNines = dir.resolve("without-nines.jsonl");
    Files.write(withoutNines, Files.readAllLines(DIGITS).stream().filter(l -> !l.contains("\"label\": 9,")).toList());
    Path profile = dir.resolve("profile.json");
    assertSummary(JobRun.of("--input", withoutNines.toString(), "--method", "batch", "--stats-only", "--by", "label",
        "--profile-out", profile.toString(), "--quiet"), "batch", 1617, 0, null);
    JsonNode file = JSON.readTree(profile.toFile());
    assertEquals("label", file.get("by").get(0).asText());
    assertEquals(9, file.get("keys").size());

    Path shift = results.resolve("shift.json");
    JobRun run = JobRun.of("--input", DIGITS.toString(), "--output", results.resolve("out").toString(), "--method",
        "batch", "--by", "label", "--shift-from", profile.toString(), "--shift-out", shift.toString(), "--quiet");
    JsonNode comparison = JSON.readTree(shift.toFile());
    assertSummary(run, "batch", 1797, 1797, comparison.get("summary").get("flagged").asInt());
    List<Long> unseen = new ArrayList<>();
    int seen = 0;
    for (JsonNode key : comparison.get("keys")) {
      if (key.get("unseen").asBoolean()) {
        unseen.add(key.get("key").get(0).asLong());
      } else {
        seen++;
        // Each key's rows are the same as the reference's: nothing flagged.
        assertEquals(0, key.get("summary").get("flagged").asInt(), key.toString());
      }
    }
    assertEquals(List.of(9L), unseen);
    assertEquals(9, seen);

    // A profile without keys does not compare per key.
    Path flat = dir.resolve("flat.json");
    assertSummary(JobRun.of("--input", DIGITS.toString(), "--method", "batch", "--stats-only", "--profile-out",
        flat.toString(), "--quiet"), "batch", 1797, 0, null);
    Path empty = Files.createDirectories(dir.resolve("mismatch"));
    JobRun mismatch = JobRun.of("--input", DIGITS.toString(), "--output", empty.resolve("out").toString(),
        "--method", "batch", "--by", "label", "--shift-from", flat.toString(), "--quiet");
    mismatch.assertFailed("error: --shift-from " + flat + ": the profile is without --by, this run by label; compare"
        + " with a profile made with the same --by", empty);
  }

  @Test
  void shiftOptionsWithoutAProfileAreUsageErrors() {
    JobRun out = JobRun.of("--input", DIGITS.toString(), "--output", results.resolve("o").toString(), "--method",
        "layer", "--shift-out", results.resolve("s.json").toString());
    assertEquals(2, out.exit(), out.err());
    assertEquals(List.of("error: --shift-out writes the comparison with a profile: give --shift-from PROFILE"),
        out.errorLines());
    JobRun gate = JobRun.of("--input", DIGITS.toString(), "--output", results.resolve("o").toString(), "--method",
        "layer", "--fail-on-shift");
    assertEquals(2, gate.exit(), gate.err());
    assertEquals(List.of("error: --fail-on-shift needs --shift-from PROFILE: the profile to compare the input with"),
        gate.errorLines());
  }

  @Test
  void aMissingBrokenOrOtherShapedProfileFailsBeforeTheData() throws IOException {
    Path missing = dir.resolve("missing.json");
    JobRun none = JobRun.of("--input", DIGITS.toString(), "--output", results.resolve("out").toString(), "--method",
        "layer", "--shift-from", missing.toString(), "--profile-out", results.resolve("p.json").toString());
    none.assertFailed("error: --shift-from: profile file " + missing + " does not exist", results);

    Path broken = dir.resolve("broken.json");
    Files.writeString(broken, "{\"format\": \"sparknorm-profile\", \"version\": 1, \"shape\": [64");
    JobRun notJson = JobRun.of("--input", DIGITS.toString(), "--output", results.resolve("out").toString(),
        "--method", "layer", "--shift-from", broken.toString());
    notJson.assertFailedWith("error: --shift-from: profile file " + broken + ": ", results);

    Path wine = dir.resolve("wine.json");
    assertSummary(JobRun.of("--input", WINE, "--input-cols", "alcohol,malic_acid,ash", "--method", "batch",
        "--stats-only", "--profile-out", wine.toString(), "--quiet"), "batch", 178, 0, null);
    JobRun otherShape = JobRun.of("--input", DIGITS.toString(), "--output", results.resolve("out").toString(),
        "--method", "layer", "--shape", "64", "--shift-from", wine.toString());
    otherShape.assertFailed("error: --shift-from " + wine + ": the profile's shape is (3,) but the data's is (64,);"
        + " compare with a profile of data of the same shape", results);
  }

  /** The digits with pixel {@link #PLANTED} moved by {@link #MOVE} in every row. */
  private Path planted() throws IOException {
    List<String> lines = new ArrayList<>();
    for (String line : Files.readAllLines(DIGITS)) {
      ObjectNode row = (ObjectNode) JSON.readTree(line);
      ArrayNode features = (ArrayNode) row.get("features");
      features.set(PLANTED, features.get(PLANTED).asLong() + MOVE);
      lines.add(JSON.writeValueAsString(row));
    }
    Path planted = dir.resolve("planted.jsonl");
    Files.write(planted, lines);
    return planted;
  }

  /** The error line --fail-on-shift gives for this comparison, whose worst channel is the planted pixel. */
  private static String refusal(JsonNode comparison, Path profile, Path shift) {
    JsonNode worst = comparison.get("channels").get(PLANTED);
    int failing = 0;
    for (JsonNode channel : comparison.get("channels")) {
      List<String> flags = flags(channel);
      if (flags.contains("SHIFTED") || flags.contains("MODE_LOST")) {
        failing++;
      }
    }
    return String.format(Locale.ROOT, "error: covariate shift: channel %d is %s (mean_shift_sd=%.4g var_ratio=%.4g"
        + " psi=%.4g ks=%.4g against --shift-from %s); channels that fail --fail-on-shift (SHIFTED or MODE_LOST):"
        + " %d, this the worst; nothing was written but the comparison, at --shift-out %s", PLANTED,
        String.join(",", flags(worst).stream().sorted().toList()), worst.get("mean_shift_sd").asDouble(),
        worst.get("var_ratio").asDouble(), worst.get("psi").asDouble(), worst.get("ks").asDouble(), profile,
        failing, shift);
  }

  private static List<String> flags(JsonNode channel) {
    return StreamSupport.stream(channel.get("flags").spliterator(), false).map(JsonNode::asText).toList();
  }

  /**
   * Succeeded with the summary line of these counts, byte for byte the line without --shift-from, and
   * {@code shifted=K} at its end when {@code shifted} is not null.
   */
  private static void assertSummary(JobRun run, String method, long rowsIn, long rowsOut, Integer shifted) {
    assertEquals(0, run.exit(), run.err());
    assertEquals(List.of(), run.errorLines());
    String expected = String.format(Locale.ROOT, SUMMARY, method, rowsIn, rowsOut)
        + (shifted == null ? "" : " shifted=" + shifted);
    assertTrue(run.out().matches(expected + "\\R"), () -> "expected " + expected + ", got " + run.out());
  }

  /** The Spark jobs that {@code body} starts. */
  private static int sparkJobs(Runnable body) throws TimeoutException {
    AtomicInteger jobs = new AtomicInteger();
    SparkListener listener = new SparkListener() {
      @Override
      public void onJobStart(SparkListenerJobStart job) {
        jobs.incrementAndGet();
      }
    };
    spark.sparkContext().addSparkListener(listener);
    try {
      body.run();
      spark.sparkContext().listenerBus().waitUntilEmpty();
    } finally {
      spark.sparkContext().removeSparkListener(listener);
    }
    return jobs.get();
  }

  private static String[] concat(String[] args, String... more) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of(more));
    return all.toArray(new String[0]);
  }

  /** The folder's entries but hidden ones (Hadoop's .crc files beside a committed file). */
  private static List<String> visible(Path folder) throws IOException {
    return JobRun.listing(folder).stream().filter(Predicate.not(ShiftJobTest::hidden)).filter(f -> !f.contains("/"))
        .toList();
  }

  private static boolean hidden(String name) {
    return name.startsWith(".") || name.contains("/.");
  }
}
