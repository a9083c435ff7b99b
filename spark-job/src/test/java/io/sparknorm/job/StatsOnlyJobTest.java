package io.sparknorm.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * {@code --stats-only}: a dataset's per-channel mean and std for an input pipeline
 * ({@code torchvision.transforms.Normalize(mean, std)}), with {@code --scale} for pixels in [0, 1],
 * on the committed PNG digits whose answer {@code data/README.md} gives (exact rationals, rounded
 * once). No data is written.
 */
class StatsOnlyJobTest extends JobTestSupport {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PNG = Path.of("..", "data", "digits-png").toString();
  private static final String WINE = Path.of("..", "data", "wine.csv").toString();

  @Test
  void imageFolderMeanAndStdAreTheKnownAnswer() throws IOException {
    Path stats = results.resolve("stats.json");
    JobRun run = JobRun.of("--input", PNG, "--input-format", "image", "--method", "batch", "--stats-only",
        "--stats-out", stats.toString());
    assertEquals(0, run.exit(), run.err());
    assertTrue(run.out().startsWith("sparknorm: method=batch rows_in=100 rows_out=0 rows_skipped=0 invalid_kept=0 "),
        run.out());
    assertEquals(List.of("stats.json"), JobRun.listing(results).stream().filter(f -> !f.startsWith(".")).toList());
    JsonNode file = JSON.readTree(stats.toFile());
    assertEquals(6400, file.get("count").asLong());
    assertEquals(List.of(1, 8, 8), List.of(file.get("shape").get(0).asInt(), file.get("shape").get(1).asInt(),
        file.get("shape").get(2).asInt()));
    assertEquals(73.000781250000003, file.get("mean").get(0).asDouble(), 0.0);
    assertEquals(8264.8585931396483, file.get("var").get(0).asDouble(), 0.0);
    assertEquals(90.911267690752439, file.get("std").get(0).asDouble(), 0.0);
    assertTrue(file.get("scale") == null && file.get("channel_order") == null, file.toString());

    Path scaled = results.resolve("scaled.json");
    JobRun run255 = JobRun.of("--input", PNG, "--input-format", "image", "--method", "batch", "--stats-only",
        "--stats-out", scaled.toString(), "--scale", "255");
    assertEquals(0, run255.exit(), run255.err());
    JsonNode file255 = JSON.readTree(scaled.toFile());
    assertEquals(255.0, file255.get("scale").asDouble());
    assertEquals(0.28627757352941174, file255.get("mean").get(0).asDouble(), 0.0);
    assertEquals(0.12710278497715721, file255.get("var").get(0).asDouble(), 0.0);
    assertEquals(0.35651477525785269, file255.get("std").get(0).asDouble(), 0.0);
  }

  @Test
  void statisticsOnlyEqualThoseOfANormalizingRun() throws IOException {
    String columns = "alcohol,malic_acid,ash,alcalinity_of_ash,magnesium,total_phenols,flavanoids,"
        + "nonflavanoid_phenols,proanthocyanins,color_intensity,hue,od280_od315,proline";
    Path only = dir.resolve("only.json");
    JobRun statsOnly = JobRun.of("--input", WINE, "--input-cols", columns, "--method", "batch", "--by", "cultivar",
        "--stats-only", "--stats-out", only.toString());
    assertEquals(0, statsOnly.exit(), statsOnly.err());
    assertTrue(statsOnly.out().startsWith("sparknorm: method=batch rows_in=178 rows_out=0 "), statsOnly.out());
    Path normalized = dir.resolve("normalized.json");
    JobRun full = JobRun.of("--input", WINE, "--input-cols", columns, "--method", "batch", "--by", "cultivar",
        "--output", dir.resolve("out").toString(), "--stats-out", normalized.toString());
    assertEquals(0, full.exit(), full.err());
    assertEquals(JSON.readTree(normalized.toFile()), JSON.readTree(only.toFile()));
    JsonNode file = JSON.readTree(only.toFile());
    for (int c = 0; c < 13; c++) {
      // The root of the exact variance (StdJobTest): at most one ulp from the root of the rounded one.
      double std = file.get("std").get(c).asDouble();
      assertEquals(Math.sqrt(file.get("var").get(c).asDouble()), std, Math.ulp(std));
    }
  }

  /**
   * Over Parquet the statistics pass reads columnar batches and counts the rows itself; over JSON
   * lines the aggregate's plan counts them: the same counts, the same statistics as a normalizing run.
   */
  @Test
  void parquetAndJsonStatsOnlyCountEveryRowInTheirOnePass() throws IOException {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      Double[] values = {i * 0.5, -i * 1e-3, 1e6 + i, i % 7 * 1.0, Math.sqrt(i), 2.0};
      if (i == 17) {
        values[3] = null;
      } else if (i == 170) {
        values = new Double[] {1.0, 2.0, 3.0, 4.0, 5.0};
      }
      rows.add(RowFactory.create(i, i == 250 ? null : values));
    }
    Dataset<Row> frame = spark.createDataFrame(rows, new StructType().add("id", DataTypes.IntegerType)
        .add("features", DataTypes.createArrayType(DataTypes.DoubleType)));
    Path parquet = dir.resolve("rows.parquet");
    Path json = dir.resolve("rows.jsonl");
    frame.repartition(3).write().parquet(parquet.toString());
    frame.repartition(2).write().json(json.toString());
    Path normalized = dir.resolve("normalized.json");
    JobRun full = JobRun.of("--input", json.toString(), "--method", "batch", "--shape", "3,2", "--handle-invalid",
        "skip", "--output", dir.resolve("out").toString(), "--stats-out", normalized.toString());
    assertEquals(0, full.exit(), full.err());
    for (Path input : List.of(parquet, json)) {
      Path stats = dir.resolve("stats-" + input.getFileName() + ".json");
      JobRun run = JobRun.of("--input", input.toString(), "--method", "batch", "--shape", "3,2", "--handle-invalid",
          "skip", "--stats-only", "--stats-out", stats.toString());
      assertEquals(0, run.exit(), run.err());
      assertTrue(run.out().startsWith("sparknorm: method=batch rows_in=300 rows_out=0 rows_skipped=3 invalid_kept=0 "),
          input + ": " + run.out());
      assertEquals(JSON.readTree(normalized.toFile()), JSON.readTree(stats.toFile()), input.toString());
    }
  }

  @Test
  void optionsThatDoNotGoWithStatsOnlyAreRefused() {
    String out = results.resolve("out").toString();
    String stats = results.resolve("stats.json").toString();
    assertRefused("error: --stats-only writes the statistics to --stats-out: give it",
        "--input", PNG, "--method", "batch", "--stats-only");
    assertRefused("error: --stats-only writes no data: leave out --output",
        "--input", PNG, "--method", "batch", "--stats-only", "--stats-out", stats, "--output", out);
    assertRefused("error: --scale is only for --stats-only: statistics of scaled values would not reproduce this"
        + " run's normalization with --stats-in",
        "--input", PNG, "--method", "batch", "--output", out, "--scale", "255");
    assertRefused("error: scale is 0.0, must be a finite number > 0",
        "--input", PNG, "--method", "batch", "--stats-only", "--stats-out", stats, "--scale", "0");
    assertRefused("error: --stats-only is only for batch norm, not layer",
        "--input", PNG, "--method", "layer", "--stats-only", "--stats-out", stats);
    assertRefused("error: Missing required option: '--output=PATH' (or --output-table NAME)", "--input", PNG, "--method", "batch");
  }

  private void assertRefused(String errorLine, String... args) {
    JobRun run = JobRun.of(args);
    assertEquals(2, run.exit(), run.err());
    assertEquals(List.of(errorLine), run.errorLines());
    assertEquals("", run.out());
  }
}
