package io.sparknorm.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Batch norm per key through the job ({@code --by}, {@code --unseen-key}): each key's statistics
 * and outputs are the same bits as fitting that key's rows alone, the top-level statistics the same
 * bits as fitting without keys, a statistics file per key replays the run, and a key without
 * statistics is an error naming the row and the key, or gets the global statistics.
 */
class PerKeyJobTest extends JobTestSupport {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String WINE = Path.of("..", "data", "wine.csv").toString();
  private static final String COLUMNS = "alcohol,malic_acid,ash,alcalinity_of_ash,magnesium,total_phenols,flavanoids,"
      + "nonflavanoid_phenols,proanthocyanins,color_intensity,hue,od280_od315,proline";

  private Path wine;

  /** The wine table in 3 Parquet partitions, rows shuffled, with a string key and a nullable integer key. */
  @BeforeEach
  void writeWine() {
    wine = dir.resolve("wine.parquet");
    spark.read().option("header", "true").option("inferSchema", "true").csv(WINE)
        .withColumn("site", functions.expr("CASE WHEN id % 3 = 0 THEN 'north' ELSE 'south' END"))
        .withColumn("lot", functions.expr("CASE WHEN id % 7 = 0 THEN NULL ELSE CAST(id % 2 AS INT) END"))
        .withColumn("features", functions.expr("array(" + COLUMNS + ")"))
        .orderBy(functions.rand(7)).repartition(3).write().parquet(wine.toString());
  }

  @Test
  void eachKeysStatisticsAndOutputsAreThoseOfItsRowsAlone() throws IOException {
    Path stats = results.resolve("stats.json");
    JobRun run = JobRun.of("--input", wine.toString(), "--output", results.resolve("out").toString(),
        "--method", "batch", "--by", "cultivar", "--stats-out", stats.toString(), "--id-col", "id");
    assertEquals(0, run.exit(), run.err());
    assertTrue(run.out().startsWith("sparknorm: method=batch rows_in=178 rows_out=178 rows_skipped=0 "), run.out());
    JsonNode file = JSON.readTree(stats.toFile());
    assertEquals(List.of("cultivar"), List.of(file.get("by").get(0).asText()));
    assertEquals(3, file.get("keys").size());
    Map<Integer, List<Double>> outputs = outputsById(results.resolve("out"));

    // Fitting without keys gives the top-level statistics, bit for bit.
    Path globalStats = dir.resolve("global.json");
    assertEquals(0, JobRun.of("--input", wine.toString(), "--output", dir.resolve("global").toString(),
        "--method", "batch", "--stats-out", globalStats.toString()).exit());
    assertSameStatistics(JSON.readTree(globalStats.toFile()), file);

    int keyRows = 0;
    for (int cultivar = 0; cultivar < 3; cultivar++) {
      Path alone = dir.resolve("cultivar" + cultivar);
      spark.read().parquet(wine.toString()).filter("cultivar = " + cultivar).write().parquet(alone.toString());
      Path aloneStats = dir.resolve("cultivar" + cultivar + ".json");
      JobRun single = JobRun.of("--input", alone.toString(), "--output", alone + "-out", "--method", "batch",
          "--stats-out", aloneStats.toString());
      assertEquals(0, single.exit(), single.err());
      JsonNode entry = file.get("keys").get(cultivar);
      assertEquals(cultivar, entry.get("key").get("cultivar").asInt());
      assertSameStatistics(JSON.readTree(aloneStats.toFile()), entry);
      Map<Integer, List<Double>> aloneOutputs = outputsById(Path.of(alone + "-out"));
      for (Map.Entry<Integer, List<Double>> row : aloneOutputs.entrySet()) {
        assertEquals(row.getValue(), outputs.get(row.getKey()), "row with id " + row.getKey());
      }
      keyRows += aloneOutputs.size();
    }
    assertEquals(178, keyRows);

    // The file replays the run: the same bits with --stats-in.
    JobRun replay = JobRun.of("--input", wine.toString(), "--output", dir.resolve("replay").toString(),
        "--method", "batch", "--by", "cultivar", "--stats-in", stats.toString());
    assertEquals(0, replay.exit(), replay.err());
    assertEquals(outputs, outputsById(dir.resolve("replay")));
  }

  @Test
  void keysOfSeveralColumnsWithNullsAreKeysOfTheirOwn() throws IOException {
    Path stats = results.resolve("stats.json");
    JobRun run = JobRun.of("--input", wine.toString(), "--output", results.resolve("out").toString(),
        "--method", "batch", "--by", "site, lot", "--stats-out", stats.toString());
    assertEquals(0, run.exit(), run.err());
    JsonNode keys = JSON.readTree(stats.toFile()).get("keys");
    // (north|south) x (null, 0, 1), sorted with nulls first.
    assertEquals(6, keys.size());
    assertTrue(keys.get(0).get("key").get("lot").isNull(), keys.toString());
    assertEquals("north", keys.get(0).get("key").get("site").asText());
    long values = 0;
    for (JsonNode entry : keys) {
      values += entry.get("count").asLong();
    }
    assertEquals(178, values);
    // The null key's rows alone give its statistics.
    Path alone = dir.resolve("north-null");
    spark.read().parquet(wine.toString()).filter("site = 'north' AND lot IS NULL").write().parquet(alone.toString());
    Path aloneStats = dir.resolve("north-null.json");
    assertEquals(0, JobRun.of("--input", alone.toString(), "--output", alone + "-out", "--method", "batch",
        "--stats-out", aloneStats.toString()).exit());
    assertSameStatistics(JSON.readTree(aloneStats.toFile()), keys.get(0));
    JobRun replay = JobRun.of("--input", wine.toString(), "--output", dir.resolve("replay").toString(),
        "--method", "batch", "--by", "site,lot", "--stats-in", stats.toString());
    assertEquals(0, replay.exit(), replay.err());
    assertEquals(outputsById(results.resolve("out")), outputsById(dir.resolve("replay")));
  }

  @Test
  void aKeyWithoutStatisticsIsAnErrorOrGetsTheGlobalOnes() throws IOException {
    // Statistics of cultivars 0 and 1 only, with the global ones of those rows.
    Path known = dir.resolve("known");
    spark.read().parquet(wine.toString()).filter("cultivar < 2").write().parquet(known.toString());
    Path stats = dir.resolve("stats.json");
    assertEquals(0, JobRun.of("--input", known.toString(), "--output", dir.resolve("known-out").toString(),
        "--method", "batch", "--by", "cultivar", "--stats-out", stats.toString()).exit());

    JobRun unseen = JobRun.of("--input", wine.toString(), "--output", results.resolve("out").toString(),
        "--method", "batch", "--by", "cultivar", "--stats-in", stats.toString(), "--id-col", "id");
    int firstId = spark.read().parquet(wine.toString()).filter("cultivar = 2").first().getInt(0);
    unseen.assertFailed("error: column 'cultivar', row with id " + firstId + ": key cultivar=2 has no statistics"
        + " (unseen-key global normalizes such rows with the statistics over all rows)", results);

    JobRun global = JobRun.of("--input", wine.toString(), "--output", results.resolve("out").toString(),
        "--method", "batch", "--by", "cultivar", "--stats-in", stats.toString(), "--unseen-key", "global");
    assertEquals(0, global.exit(), global.err());
    // Cultivar 2's rows got the file's global statistics: as a run with those alone.
    ObjectNode file = (ObjectNode) JSON.readTree(stats.toFile());
    file.remove(List.of("by", "keys"));
    Path globalOnly = dir.resolve("global-only.json");
    JSON.writeValue(globalOnly.toFile(), file);
    assertEquals(0, JobRun.of("--input", wine.toString(), "--output", dir.resolve("with-global").toString(),
        "--method", "batch", "--stats-in", globalOnly.toString()).exit());
    Map<Integer, List<Double>> withGlobal = outputsById(dir.resolve("with-global"));
    Map<Integer, List<Double>> perKey = outputsById(results.resolve("out"));
    List<Row> cultivar2 = spark.read().parquet(wine.toString()).filter("cultivar = 2").select("id").collectAsList();
    assertEquals(48, cultivar2.size());
    for (Row row : cultivar2) {
      assertEquals(withGlobal.get(row.getInt(0)), perKey.get(row.getInt(0)));
    }
  }

  @Test
  void keyRulesAreCheckedBeforeTheData() throws IOException {
    String out = results.resolve("out").toString();
    JobRun layer = JobRun.of("--input", wine.toString(), "--output", out, "--method", "layer", "--by", "cultivar");
    assertEquals(2, layer.exit());
    assertEquals(List.of("error: --by is only for batch norm, not layer"), layer.errorLines());
    JobRun unseenAlone = JobRun.of("--input", wine.toString(), "--output", out, "--method", "batch",
        "--unseen-key", "global");
    assertEquals(2, unseenAlone.exit());
    assertEquals(List.of("error: --unseen-key is only for --by"), unseenAlone.errorLines());
    JobRun badMode = JobRun.of("--input", wine.toString(), "--output", out, "--method", "batch", "--by", "cultivar",
        "--unseen-key", "nearest");
    assertEquals(2, badMode.exit());
    assertEquals(List.of("error: unseen-key 'nearest' is not one of error, global"), badMode.errorLines());

    JobRun.of("--input", wine.toString(), "--output", out, "--method", "batch", "--by", "vintage")
        .assertFailed("error: by: column 'vintage' is not in the input; its columns are [id, " + COLUMNS.replace(",", ", ")
            + ", cultivar, site, lot, features]", results);
    JobRun.of("--input", wine.toString(), "--output", out, "--method", "batch", "--by", "hue")
        .assertFailed("error: by: column 'hue' is of type double; a key column must be a string, an integer or a"
            + " boolean", results);
    JobRun.of("--input", wine.toString(), "--output", out, "--method", "batch", "--by", "features")
        .assertFailed("error: by: column 'features' is the tensor; give the key columns", results);
    JobRun.of("--input", wine.toString(), "--output", out, "--method", "batch", "--by", "id")
        .assertFailed("error: column 'features': key id=0: batch norm needs more than 1 value per channel, got 1"
            + " (samples x spatial size) for shape (13,)", results);

    Path plain = dir.resolve("plain.json");
    Files.writeString(plain, "{\"mean\": [0, 0], \"var\": [1, 1]}");
    JobRun.of("--input", wine.toString(), "--output", out, "--method", "batch", "--by", "cultivar",
        "--stats-in", plain.toString())
        .assertFailed("error: stats-in file " + plain + " has no statistics per key ('by' and 'keys'); write one with"
            + " --by and --stats-out", results);
    Path otherKeys = dir.resolve("other.json");
    ObjectNode file = JSON.createObjectNode();
    file.putArray("by").add("site");
    ArrayNode keys = file.putArray("keys");
    ObjectNode entry = keys.addObject();
    entry.putObject("key").put("site", "north");
    entry.putArray("mean").add(0.0).add(0.0);
    entry.putArray("var").add(1.0).add(1.0);
    JSON.writeValue(otherKeys.toFile(), file);
    JobRun.of("--input", wine.toString(), "--output", out, "--method", "batch", "--by", "cultivar",
        "--stats-in", otherKeys.toString())
        .assertFailed("error: by: the statistics are by [site], not by [cultivar]", results);
  }

  /** Every statistic of {@code actual} is the same double as in {@code expected}. */
  private static void assertSameStatistics(JsonNode expected, JsonNode actual) {
    assertEquals(expected.get("count").asLong(), actual.get("count").asLong());
    for (String key : List.of("mean", "var", "var_unbiased", "mean_residual", "std")) {
      List<Double> want = new ArrayList<>();
      List<Double> got = new ArrayList<>();
      expected.get(key).forEach(v -> want.add(v.asDouble()));
      actual.get(key).forEach(v -> got.add(v.asDouble()));
      assertEquals(want, got, key);
    }
  }

  private static Map<Integer, List<Double>> outputsById(Path folder) {
    Dataset<Row> rows = spark.read().parquet(folder.toString());
    Map<Integer, List<Double>> outputs = new HashMap<>();
    for (Row row : rows.select("id", "features").collectAsList()) {
      outputs.put(row.getInt(0), row.getList(1));
    }
    return outputs;
  }
}
