package io.sparknorm.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparknorm.core.Affine;
import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.ExactMoments;
import io.sparknorm.core.Normalizer;
import io.sparknorm.core.Normalizers;
import io.sparknorm.core.Shape;
import io.sparknorm.spark.LocalSpark;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The job in-process (in the test's Spark session): formats in and out, files, exit codes, messages. */
@ExtendWith(LocalSpark.class)
class NormalizeJobTest {
  private static SparkSession spark;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  record Run(int exit, String out, String err) {}

  private static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = NormalizeJob.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static final double[][] SAMPLES = {{1, 2, 3, 4}, {2, 4, 8, 16}, {-1, 0, 1, 0}, {5, 5, 6, 6}, {0, 3, 0, 3}};

  /** id, features (array of double), label. */
  private Dataset<Row> sampleFrame() {
    StructType schema = new StructType().add("id", DataTypes.IntegerType)
        .add("features", DataTypes.createArrayType(DataTypes.DoubleType)).add("label", DataTypes.StringType);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < SAMPLES.length; i++) {
      Double[] boxed = new Double[SAMPLES[i].length];
      for (int j = 0; j < boxed.length; j++) {
        boxed[j] = SAMPLES[i][j];
      }
      rows.add(RowFactory.create(i, boxed, "L" + i));
    }
    return spark.createDataFrame(rows, schema).coalesce(1);
  }

  private static double[] doubles(List<?> values) {
    return values.stream().mapToDouble(v -> ((Number) v).doubleValue()).toArray();
  }

  private static double[] parseJsonArray(String text) throws IOException {
    JsonNode node = JSON.readTree(text);
    double[] values = new double[node.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = node.get(i).asDouble();
    }
    return values;
  }

  private void assertLayerNormalized(Dataset<Row> out, boolean tensorAsText) throws IOException {
    List<Row> rows = new ArrayList<>(out.collectAsList());
    rows.sort(Comparator.comparingInt(r -> ((Number) r.getAs("id")).intValue()));
    assertEquals(SAMPLES.length, rows.size());
    Normalizer layer = Normalizers.layer(Shape.of(2, 2), 1e-5, Affine.none());
    for (int i = 0; i < SAMPLES.length; i++) {
      Row row = rows.get(i);
      double[] actual = tensorAsText ? parseJsonArray(row.getAs("features")) : doubles(row.getList(row.fieldIndex("features")));
      assertArrayEquals(layer.apply(SAMPLES[i]), actual, 1e-15);
      assertEquals("L" + i, row.getAs("label"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"parquet", "json", "orc"})
  void readsAndWritesEachFormat(String format) throws IOException {
    String input = dir.resolve("in." + format).toString();
    sampleFrame().write().format(format).save(input);
    String output = dir.resolve("out").toString();
    Run run = run("--input", input, "--output", output, "--output-format", format, "--method", "layer",
        "--shape", "2,2");
    assertEquals(0, run.exit(), run.err());
    assertTrue(run.out().startsWith("sparknorm: method=layer rows_in=5 rows_out=5 rows_skipped=0"), run.out());
    assertLayerNormalized(spark.read().format(format).load(output), false);
  }

  /** The rows of a frame with columns id, features and label, by id; the features as doubles (array or JSON text). */
  private static List<Row> byId(Dataset<Row> frame) {
    List<Row> rows = new ArrayList<>(frame.collectAsList());
    rows.sort(Comparator.comparingInt(r -> ((Number) r.getAs("id")).intValue()));
    return rows;
  }

  @Test
  void csvHoldsTheTensorAsJsonArrayTextBothWays() throws IOException {
    String output = dir.resolve("out-csv").toString();
    String input = dir.resolve("in.json").toString();
    sampleFrame().write().json(input);
    Run toCsv = run("--input", input, "--input-format", "json", "--output", output, "--output-format", "csv",
        "--method", "layer", "--shape", "2,2");
    assertEquals(0, toCsv.exit(), toCsv.err());
    assertTrue(toCsv.out().startsWith("sparknorm: method=layer rows_in=5 rows_out=5 rows_skipped=0"), toCsv.out());
    Dataset<Row> csv = spark.read().option("header", "true").option("inferSchema", "true").csv(output);
    // Spark's JSON source orders columns by name: features, id, label; the tensor stays where it was.
    assertArrayEquals(new String[] {"features", "id", "label"}, csv.columns());
    assertEquals(DataTypes.StringType, csv.schema().apply("features").dataType());
    assertLayerNormalized(csv, true);

    // The text holds every digit: the same job written as Parquet gives the very same doubles.
    String parquet = dir.resolve("out-parquet").toString();
    Run toParquet = run("--input", input, "--input-format", "json", "--output", parquet, "--method", "layer",
        "--shape", "2,2");
    assertEquals(0, toParquet.exit(), toParquet.err());
    List<Row> csvRows = byId(csv);
    List<Row> parquetRows = byId(spark.read().parquet(parquet));
    assertEquals(SAMPLES.length, parquetRows.size());
    double[][] fromText = new double[SAMPLES.length][];
    for (int i = 0; i < SAMPLES.length; i++) {
      Row row = csvRows.get(i);
      assertEquals(i, ((Number) row.getAs("id")).intValue());
      fromText[i] = parseJsonArray(row.getAs("features"));
      Row binary = parquetRows.get(i);
      assertArrayEquals(doubles(binary.getList(binary.fieldIndex("features"))), fromText[i], 0.0, "row " + i);
    }

    // The CSV just written is valid input: its string tensor column is parsed as JSON array text.
    String again = dir.resolve("again").toString();
    Run fromCsv = run("--input", output, "--input-format", "csv", "--output", again, "--method", "layer",
        "--shape", "2,2");
    assertEquals(0, fromCsv.exit(), fromCsv.err());
    assertTrue(fromCsv.out().startsWith("sparknorm: method=layer rows_in=5 rows_out=5 rows_skipped=0"), fromCsv.out());
    Dataset<Row> back = spark.read().parquet(again);
    // The other columns pass through unchanged and in place; the tensor parsed from text comes out as doubles.
    assertArrayEquals(new String[] {"features", "id", "label"}, back.columns());
    assertEquals(DataTypes.createArrayType(DataTypes.DoubleType), back.schema().apply("features").dataType());
    assertEquals(DataTypes.IntegerType, back.schema().apply("id").dataType());
    assertEquals(DataTypes.StringType, back.schema().apply("label").dataType());
    List<Row> rows = byId(back);
    assertEquals(SAMPLES.length, rows.size());
    Normalizer layer = Normalizers.layer(Shape.of(2, 2), 1e-5, Affine.none());
    for (int i = 0; i < SAMPLES.length; i++) {
      Row row = rows.get(i);
      assertEquals(i, row.<Integer>getAs("id"));
      assertEquals("L" + i, row.getAs("label"));
      // Layer norm of the values the CSV holds, as the core computes it.
      assertArrayEquals(layer.apply(fromText[i]), doubles(row.getList(row.fieldIndex("features"))), 1e-15,
          "row " + i);
    }
  }

  @Test
  void csvScalarColumnsWithBatchStatisticsOut() throws IOException {
    Path csv = dir.resolve("table.csv");
    Files.writeString(csv, "id,a,b,name\n0,1.5,10,x\n1,2.5,20,y\n2,4.0,60,z\n");
    String output = dir.resolve("out").toString();
    Path stats = dir.resolve("stats.json");
    Run run = run("--input", csv.toString(), "--input-cols", "b,a", "--output", output, "--output-format", "json",
        "--method", "batch", "--stats-out", stats.toString());
    assertEquals(0, run.exit(), run.err());
    JsonNode file = JSON.readTree(stats.toFile());
    BatchStatistics expected = new ExactMoments(Shape.of(2)).update(new double[] {10, 1.5})
        .update(new double[] {20, 2.5}).update(new double[] {60, 4.0}).statistics();
    assertEquals("batch", file.get("method").asText());
    assertEquals(3, file.get("count").asLong());
    assertEquals(2, file.get("shape").get(0).asInt());
    assertEquals(1e-5, file.get("eps").asDouble());
    for (int c = 0; c < 2; c++) {
      assertEquals(expected.mean()[c], file.get("mean").get(c).asDouble(), 0.0);
      assertEquals(expected.variance()[c], file.get("var").get(c).asDouble(), 0.0);
      assertEquals(expected.unbiasedVariance()[c], file.get("var_unbiased").get(c).asDouble(), 0.0);
    }
    List<Row> rows = spark.read().json(output).orderBy("id").collectAsList();
    assertEquals(3, rows.size());
    assertArrayEquals(new String[] {"id", "a", "b", "name", "features"},
        spark.read().json(output).select("id", "a", "b", "name", "features").columns());
    Normalizer batch = Normalizers.batch(expected, 1e-5, Affine.none());
    assertArrayEquals(batch.apply(new double[] {20, 2.5}), doubles(rows.get(1).getList(rows.get(1).fieldIndex("features"))),
        1e-15);

    // The statistics file reproduces the run in evaluation mode.
    String replay = dir.resolve("replay").toString();
    Run again = run("--input", csv.toString(), "--input-cols", "b,a", "--output", replay, "--output-format", "json",
        "--method", "batch", "--stats-in", stats.toString());
    assertEquals(0, again.exit(), again.err());
    List<Row> replayed = spark.read().json(replay).orderBy("id").collectAsList();
    for (int i = 0; i < 3; i++) {
      assertEquals(rows.get(i).getList(rows.get(i).fieldIndex("features")),
          replayed.get(i).getList(replayed.get(i).fieldIndex("features")));
    }
  }

  @Test
  void affineFileIsAppliedPerChannel() throws IOException {
    String input = dir.resolve("in").toString();
    sampleFrame().write().parquet(input);
    Path affine = dir.resolve("affine.json");
    Files.writeString(affine, "{\"weight\": [2, 0.5], \"bias\": [1, -1]}");
    String output = dir.resolve("out").toString();
    Run run = run("--input", input, "--output", output, "--method", "instance", "--shape", "2,2", "--affine",
        affine.toString(), "--eps", "1e-3");
    assertEquals(0, run.exit(), run.err());
    Normalizer instance = Normalizers.instance(Shape.of(2, 2), 1e-3, Affine.of(new double[] {2, 0.5},
        new double[] {1, -1}));
    Row first = spark.read().parquet(output).where("id = 3").first();
    assertArrayEquals(instance.apply(SAMPLES[3]), doubles(first.getList(first.fieldIndex("features"))), 1e-15);
  }

  private static List<Path> listing(Path folder) throws IOException {
    try (Stream<Path> files = Files.walk(folder)) {
      return files.sorted().toList();
    }
  }

  @Test
  void anExistingOutputIsLeftAloneWithoutOverwriteAndReplacedWithIt() throws IOException {
    String input = dir.resolve("in").toString();
    sampleFrame().write().parquet(input);
    Path output = dir.resolve("existing");
    Files.createDirectories(output);
    Files.writeString(output.resolve("keep.txt"), "mine");
    List<Path> before = listing(dir);

    Run refused = run("--input", input, "--output", output.toString(), "--method", "layer");
    assertEquals(1, refused.exit());
    assertEquals("error: output " + output + " already exists; give --overwrite to replace it", refused.err().strip());
    assertEquals(before, listing(dir));
    assertEquals("mine", Files.readString(output.resolve("keep.txt")));

    Run replaced = run("--input", input, "--output", output.toString(), "--method", "layer", "--overwrite");
    assertEquals(0, replaced.exit(), replaced.err());
    assertFalse(Files.exists(output.resolve("keep.txt")));
    assertLayerNormalized(spark.read().parquet(output.toString()), false);
  }

  @Test
  void aFailedJobLeavesNothingAtTheOutputNorTheStatisticsPath() throws IOException {
    Path input = dir.resolve("bad.jsonl");
    Files.writeString(input, "{\"id\": 0, \"features\": [1, 2]}\n{\"id\": 1, \"features\": [1, 2, 3]}\n");
    Path output = dir.resolve("out");
    Path stats = dir.resolve("stats.json");
    List<Path> before = listing(dir);
    Run run = run("--input", input.toString(), "--output", output.toString(), "--method", "batch", "--stats-out",
        stats.toString());
    assertEquals(1, run.exit());
    List<String> errorLines = run.err().lines().filter(l -> l.startsWith("error:")).toList();
    assertEquals(List.of("error: column 'features', row 1: tensor of length 3 does not match shape (2,) (2 elements)"),
        errorLines);
    assertEquals(before, listing(dir));
    assertEquals("", run.out());
  }

  @Test
  void usageErrorsExitWithTwoBeforeReadingData() {
    Run unknown = run("--input", "x", "--output", "y", "--method", "weight");
    assertEquals(2, unknown.exit());
    assertEquals("error: method 'weight' is not one of batch, layer, instance, group", unknown.err().strip());
    Run noGroups = run("--input", "x", "--output", "y", "--method", "group");
    assertEquals(2, noGroups.exit());
    assertEquals("error: --groups is required for group norm", noGroups.err().strip());
    Run badShape = run("--input", "x", "--output", "y", "--method", "layer", "--shape", "3,0");
    assertEquals(2, badShape.exit());
    assertTrue(badShape.err().startsWith("error: shape (3,0): dimension 1 is 0"), badShape.err());
    Run missing = run("--output", "y", "--method", "layer");
    assertEquals(2, missing.exit());
    assertTrue(missing.err().startsWith("error: Missing required option: '--input=PATH'"), missing.err());
    Run statsForLayer = run("--input", "x", "--output", "y", "--method", "layer", "--stats-out", "s.json");
    assertEquals(2, statsForLayer.exit());
    assertEquals("error: --stats-out is only for batch norm, not layer", statsForLayer.err().strip());
  }

  @Test
  void imagesBecomeChannelFirstFloatTensors() throws IOException {
    Path images = dir.resolve("images");
    Files.createDirectories(images);
    int width = 4;
    int height = 3;
    java.util.Map<String, double[]> expected = new java.util.TreeMap<>();
    for (int n = 0; n < 2; n++) {
      java.awt.image.BufferedImage image = new java.awt.image.BufferedImage(width, height,
          java.awt.image.BufferedImage.TYPE_3BYTE_BGR);
      double[] chw = new double[3 * height * width];
      for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
          int r = (17 * x + 5 * y + 40 * n) % 256;
          int g = (3 * x * y + 7 + n) % 256;
          int b = (250 - 11 * x - 13 * y) % 256;
          image.setRGB(x, y, (r << 16) | (g << 8) | b);
          int p = y * width + x;
          chw[p] = b; // Spark's image source keeps OpenCV's BGR order
          chw[height * width + p] = g;
          chw[2 * height * width + p] = r;
        }
      }
      Path file = images.resolve("img" + n + ".png");
      javax.imageio.ImageIO.write(image, "png", file.toFile());
      expected.put("img" + n + ".png", chw);
    }
    String output = dir.resolve("out").toString();
    Run run = run("--input", images.toString(), "--input-format", "image", "--output", output, "--method",
        "instance", "--output-col", "pixels");
    assertEquals(0, run.exit(), run.err());
    Normalizer instance = Normalizers.instance(Shape.of(3, height, width), 1e-5, Affine.none());
    List<Row> rows = spark.read().parquet(output).select("image.origin", "pixels").collectAsList();
    assertEquals(2, rows.size());
    for (Row row : rows) {
      String origin = row.getString(0);
      double[] chw = expected.get(origin.substring(origin.lastIndexOf('/') + 1));
      float[] reference = instance.apply(io.sparknorm.core.GoldenFiles.toFloat(chw));
      double[] actual = doubles(row.getList(1));
      assertEquals(reference.length, actual.length);
      for (int i = 0; i < actual.length; i++) {
        assertEquals(reference[i], (float) actual[i], 0.0f, origin + " element " + i);
      }
    }
  }

  @Test
  void helpShowsExamples() {
    Run help = run("--help");
    assertEquals(0, help.exit());
    assertTrue(help.out().contains("Examples:"), help.out());
    assertTrue(help.out().contains("--handle-invalid"), help.out());
    String oneLine = help.out().replaceAll("\\s+", " ");
    assertTrue(oneLine.contains("Integers (JSON integers are bigint) are computed on their exact values, longs beyond"
        + " 2^53 too, and written as float, rounded once; PyTorch refuses integer tensors, and its .float() rounds"
        + " every integer beyond 2^24."), help.out());
    // PyTorch's defaults, written as PyTorch's documentation writes them.
    assertTrue(oneLine.contains("inside the square root (default: 1e-5)"), help.out());
    assertTrue(oneLine.contains("as PyTorch's (default: 0.1)"), help.out());
  }

  @Test
  void versionIsThePomsVersion() {
    Run version = run("--version");
    assertEquals(0, version.exit());
    assertEquals("sparknorm " + System.getProperty("sparknorm.project.version"), version.out().strip());
  }

  @Test
  void formatsFollowTheExtension() {
    assertEquals("json", Formats.fromExtension("data/digits.jsonl"));
    assertEquals("json", Formats.fromExtension("s3a://b/x.JSON"));
    assertEquals("csv", Formats.fromExtension("/d/wine.csv/"));
    assertEquals("orc", Formats.fromExtension("x.orc"));
    assertEquals("parquet", Formats.fromExtension("hdfs:///folder"));
  }
}
