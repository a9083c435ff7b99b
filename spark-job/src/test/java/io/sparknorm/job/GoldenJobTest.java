package io.sparknorm.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.util.stream.Collectors;
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
    List<String> args = new ArrayList<>(List.of("--input", input.toString(), "--output", output.toString(),
        "--method", c.method().id(), "--shape", shapeArg(c), "--eps", Double.toString(c.eps())));
    if (c.method() == io.sparknorm.core.NormMethod.GROUP) {
      args.addAll(List.of("--groups", Integer.toString(c.groups())));
    }
    if (c.weight() != null || c.bias() != null) {
      ObjectNode affine = JSON.createObjectNode();
      if (c.weight() != null) {
        Arrays.stream(c.weight()).forEach(affine.putArray("weight")::add);
      }
      if (c.bias() != null) {
        Arrays.stream(c.bias()).forEach(affine.putArray("bias")::add);
      }
      Path affineFile = dir.resolve("affine.json");
      Files.writeString(affineFile, affine.toString());
      args.addAll(List.of("--affine", affineFile.toString()));
    }
    boolean batch = c.method() == io.sparknorm.core.NormMethod.BATCH;
    if (batch) {
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
    for (int s = 0; s < n; s++) {
      Row row = rows.get(s);
      assertEquals(s, row.getLong(row.fieldIndex("row")), c.name() + " row order");
      List<Object> actual = row.getList(row.fieldIndex("features"));
      double[] expected = c.exactOutput() != null ? c.exactOutput()[s] : c.output()[s];
      assertEquals(expected.length, actual.size(), c.name() + " sample " + s + " length");
      for (int i = 0; i < expected.length; i++) {
        double got = (Double) actual.get(i); // double in (JSON), double out: a float here fails the cast
        assertEquals(expected[i], got, c.tolerance() * Math.max(1, Math.abs(expected[i])),
            c.name() + " sample " + s + " element " + i);
      }
    }
    if (batch) {
      assertStatistics(c, JSON.readTree(stats.toFile()));
    }
  }

  /** The README's promise for --stats-out: 1e-12 relative to the exact statistics (a mean relative to its spread). */
  private static void assertStatistics(GoldenFiles.Case c, JsonNode stats) {
    assertEquals(c.count(), stats.path("count").asLong(-1), c.name() + " count");
    assertEquals(c.eps(), stats.path("eps").asDouble(), c.name() + " eps");
    List<String> failures = new ArrayList<>();
    for (int ch = 0; ch < c.shape().channels(); ch++) {
      double var = exactOrTorch(c.exactVariance(), c.variance())[ch];
      check(failures, "mean", ch, stats.path("mean").path(ch).asDouble(Double.NaN),
          exactOrTorch(c.exactMean(), c.mean())[ch], Math.sqrt(var));
      check(failures, "var", ch, stats.path("var").path(ch).asDouble(Double.NaN), var, 0);
      check(failures, "var_unbiased", ch, stats.path("var_unbiased").path(ch).asDouble(Double.NaN),
          exactOrTorch(c.exactUnbiasedVariance(), c.unbiasedVariance())[ch], 0);
    }
    assertTrue(failures.isEmpty(), () -> c.name() + ": " + failures);
  }

  private static double[] exactOrTorch(double[] exact, double[] torch) {
    return exact != null ? exact : torch;
  }

  private static void check(List<String> failures, String name, int ch, double got, double exact, double spread) {
    if (!(Math.abs(got - exact) <= 1e-12 * Math.max(Math.abs(exact), spread))) {
      failures.add(name + "[" + ch + "] = " + got + ", exact " + exact);
    }
  }

  private static String shapeArg(GoldenFiles.Case c) {
    return Arrays.stream(c.shape().dims()).mapToObj(Integer::toString).collect(Collectors.joining(","));
  }
}
