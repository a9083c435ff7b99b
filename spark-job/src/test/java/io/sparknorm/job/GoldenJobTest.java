package io.sparknorm.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparknorm.core.GoldenChecks;
import io.sparknorm.core.GoldenFiles;
import io.sparknorm.spark.LocalSpark;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every float64 golden case through the job's command line in-process: JSON lines in (the format
 * users hand-write, read with Spark's schema inference), Parquet out, {@code --stats-out} for
 * batch norm. {@code GoldenSubmitIT} runs every case through spark-submit with Parquet in and one
 * case per method with JSON in; this covers the JSON reading path for all of them, at a fraction
 * of the cost of a spark-submit per case.
 */
@ExtendWith(LocalSpark.class)
class GoldenJobTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static SparkSession spark;

  @TempDir
  Path dir;

  static Stream<GoldenFiles.Case> doubleCases() {
    return GoldenFiles.cases().stream().filter(GoldenFiles.Case::isDouble);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("doubleCases")
  void jsonInParquetOutThroughTheJob(GoldenFiles.Case c) throws IOException {
    Path input = dir.resolve("input.jsonl");
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < c.input().length; i++) {
      ObjectNode row = JSON.createObjectNode().put("row", i);
      ArrayNode features = row.putArray("features");
      Arrays.stream(c.input()[i]).forEach(features::add);
      lines.add(row.toString());
    }
    Files.write(input, lines);
    Path output = dir.resolve("output.parquet");
    Path stats = dir.resolve("stats.json");
    List<String> args = new ArrayList<>(List.of("--input", input.toString(), "--output", output.toString()));
    args.addAll(c.jobOptions(dir));
    if (c.isBatch()) {
      args.addAll(List.of("--stats-out", stats.toString()));
    }

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = NormalizeJob.run(args.toArray(new String[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));

    assertEquals(0, exit, () -> err.toString(StandardCharsets.UTF_8));
    int n = c.input().length;
    assertTrue(out.toString(StandardCharsets.UTF_8).contains(" rows_in=" + n + " rows_out=" + n + " rows_skipped=0 "),
        out::toString);
    List<Row> rows = spark.read().parquet(output.toString()).orderBy("row").collectAsList();
    assertEquals(n, rows.size(), c.name() + " rows");
    double[][] got = new double[n][];
    for (int s = 0; s < n; s++) {
      Row row = rows.get(s);
      assertEquals(s, row.getLong(row.fieldIndex("row")), c.name() + " row order");
      // Double in (JSON), double out: a float element here fails the cast.
      got[s] = row.<Double>getList(row.fieldIndex("features")).stream().mapToDouble(Double::doubleValue).toArray();
    }
    GoldenChecks.assertRows(c.name(), true, c.output(), c.exactOutput(), got);
    if (c.isBatch()) {
      JsonNode written = JSON.readTree(stats.toFile());
      assertEquals(c.eps(), written.path("eps").asDouble(), c.name() + " eps");
      GoldenChecks.assertStatistics(c, written, c.name() + " --stats-out");
    }
  }
}
