package io.sparknorm.runner;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparknorm.testing.ChildProcess;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The job on inputs laid out badly, through {@code local-runner/spark-submit} ({@code local[2]}): one partition
 * holding 90% of the rows, and 2,000 small input files. Batch norm with {@code --stats-out} on each; the statistics
 * are checked against exact ones (the data's values are k / 4 + c, whose moments are summed exactly here), every id
 * comes out once, and the skew is shown from the job's own event log: one task of the statistics pass read 90% of
 * the rows. Heavy (about 2 minutes): run by {@code .ci/run}, not by the README's verify.
 */
@ExtendWith(SubmitSuite.class)
class ScaleLayoutIT {

  private static final int CHANNELS = 8;

  /** Set by {@link SubmitSuite}. */
  private static WorkDir work;
  private static JobSubmitter submit;
  private static SparkSession spark;
  private static SubmitSuite.Report report;

  /** Row id's channel c: ((31 id + 17 c) mod 97) / 4 + c. */
  private static final String FEATURES =
      "transform(sequence(0, " + (CHANNELS - 1) + "), c -> ((id * 31 + c * 17) % 97) / 4.0 + c)";

  private static void writeRows(Path folder, long from, long to, int files) {
    spark.range(from, to, 1, files).select(col("id"), expr(FEATURES).as("features"))
        .write().mode("append").parquet(folder.toString());
  }

  /** Exact moments of channel c over ids [0, rows). */
  private static ExactStatistics exact(long rows, int c) {
    long[] counts = new long[97];
    for (long id = 0; id < rows; id++) {
      counts[(int) ((id * 31 + c * 17) % 97)]++;
    }
    return ExactStatistics.ofCounts(counts, k -> BigDecimal.valueOf(k).divide(BigDecimal.valueOf(4)).add(
        BigDecimal.valueOf(c)));
  }

  private static void assertStatistics(Path stats, long rows) {
    JsonNode file = TestSpark.readJson(stats);
    assertEquals(rows, file.path("count").asLong(), file::toString);
    for (int c = 0; c < CHANNELS; c++) {
      exact(rows, c).assertCorrectlyRounded(file, c, "channel " + c);
    }
  }

  /** Every id of [0, rows) exactly once in the output. */
  private static void assertEveryIdOnce(Path output, long rows) {
    Row ids = spark.read().parquet(output.toString()).selectExpr("count(*)", "count(distinct id)", "min(id)",
        "max(id)").first();
    assertEquals(List.of(rows, rows, 0L, rows - 1), List.of(ids.getLong(0), ids.getLong(1), ids.getLong(2),
        ids.getLong(3)), "rows, distinct ids, min and max id of the output " + output);
  }

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void onePartitionHoldingNinetyPercentOfTheRows() {
    long rows = 1_000_000;
    Path dir = work.newDir("skew");
    Path input = dir.resolve("input");
    // One file of 900,000 rows (a single Parquet row group: one task reads it all) and nine of 11,111 or so.
    writeRows(input, 0, 900_000, 1);
    writeRows(input, 900_000, rows, 9);
    Path events = dir.resolve("events");
    assertTrue(events.toFile().mkdirs());
    Path output = dir.resolve("out");
    Path stats = dir.resolve("stats.json");
    ChildProcess.Result result = submit.run("skew: one partition of 90%", List.of("spark.eventLog.enabled=true",
        "spark.eventLog.dir=" + events.toUri(), "spark.eventLog.compress=false"), List.of("--input", input.toString(),
        "--output", output.toString(), "--method", "batch", "--stats-out", stats.toString()));
    ScaleIT.assertSummary(result, rows, rows);
    assertStatistics(stats, rows);
    assertEveryIdOnce(output, rows);

    // The skew as the job met it: in each stage that read the input, the busiest task read 90% of the rows.
    Map<Integer, List<Long>> read = EventLog.read(events).recordsReadBySuccessfulTask();
    List<Integer> scans = read.entrySet().stream()
        .filter(e -> e.getValue().stream().mapToLong(Long::longValue).sum() == rows).map(Map.Entry::getKey).toList();
    assertEquals(2, scans.size(), "stages that read every input row (statistics, normalize and write): " + read);
    for (int stage : scans) {
      long busiest = Collections.max(read.get(stage));
      assertTrue(busiest >= 900_000, "stage " + stage + ": the busiest task read " + busiest + " rows: " + read);
      report.add("skew: stage %d read %,d rows in %d tasks, the busiest %,d", stage, rows,
          read.get(stage).size(), busiest);
    }
    report.add("skew: batch of %,d rows in %.1f s", rows, ScaleIT.seconds(result));
  }

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void twoThousandInputFiles() {
    long rows = 20_000;
    int files = 2000;
    Path dir = work.newDir("many-files");
    Path input = dir.resolve("input");
    writeRows(input, 0, rows, files);
    long parts = WorkDir.list(input).stream().filter(n -> n.startsWith("part-") && n.endsWith(".parquet")).count();
    assertEquals(files, parts, "Parquet files in the input");
    Path output = dir.resolve("out");
    Path stats = dir.resolve("stats.json");
    ChildProcess.Result result = submit.run("2,000 input files", List.of("--input", input.toString(),
        "--output", output.toString(), "--method", "batch", "--stats-out", stats.toString()));
    ScaleIT.assertSummary(result, rows, rows);
    assertStatistics(stats, rows);
    assertEveryIdOnce(output, rows);
    report.add("2,000 files of 10 rows: batch in %.1f s", ScaleIT.seconds(result));
  }
}
