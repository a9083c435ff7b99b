package io.sparknorm.runner;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Reads the PyTorch golden files of {@code data/golden} (schemas in {@code data/README.md}) for the integration
 * tests here; the local-runner test class path does not see spark-job's test classes, so this is a small reader of
 * its own (Jackson comes with Spark).
 */
final class Goldens {

  private static final ObjectMapper JSON = new ObjectMapper();

  private Goldens() {
  }

  /** The repository's data folder: the build passes {@code sparknorm.data.dir}; from the module folder, ../data. */
  static Path dataDir() {
    String configured = System.getProperty("sparknorm.data.dir");
    Path dir = (configured != null && !configured.isBlank() ? Path.of(configured) : Path.of("..", "data"))
        .toAbsolutePath().normalize();
    if (!Files.isDirectory(dir.resolve("golden"))) {
      throw new IllegalStateException("no golden files under " + dir);
    }
    return dir;
  }

  /**
   * One case of {@code golden/cases}. Arrays that the file holds as null (no weight, no bias, float32 cases' exact
   * values, non-batch statistics) are null here.
   */
  record Case(String name, String method, boolean isDouble, int[] shape, double eps, Integer groups,
        double[] weight, double[] bias, double[][] input, double[][] output, double[][] outputExact,
        long count, double[] mean, double[] var, double[] varUnbiased,
        double[] meanExact, double[] varExact, double[] varUnbiasedExact) {

    int channels() {
      return shape[0];
    }

    int spatial() {
      int s = 1;
      for (int i = 1; i < shape.length; i++) {
        s *= shape[i];
      }
      return s;
    }

    /** {@code --shape}: the dimensions joined by commas. */
    String shapeArg() {
      return Arrays.stream(shape).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }

    boolean isBatch() {
      return method.equals("batch");
    }

    boolean hasAffine() {
      return weight != null || bias != null;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /** One file of {@code golden/running}: K batches through torch's training-mode batch norm, then eval mode. */
  record Running(String name, boolean isDouble, int[] shape, double eps, double momentum, double[] weight,
           double[] bias, List<double[][]> batches, List<double[]> runningMean, List<double[]> runningVar,
           double[][] evalOutput) {

    String shapeArg() {
      return Arrays.stream(shape).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }

    boolean hasAffine() {
      return weight != null || bias != null;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  static List<Case> cases() {
    List<Case> cases = new ArrayList<>();
    for (Path file : list("cases")) {
      JsonNode n = read(file);
      boolean batch = n.get("method").asText().equals("batch");
      cases.add(new Case(n.get("name").asText(), n.get("method").asText(),
          n.get("dtype").asText().equals("float64"), ints(n.get("shape")), n.get("eps").asDouble(),
          n.get("groups") == null || n.get("groups").isNull() ? null : n.get("groups").asInt(),
          vector(n.get("weight")), vector(n.get("bias")), matrix(n.get("input")), matrix(n.get("output")),
          matrix(n.get("output_exact")), batch ? n.get("count").asLong() : 0, vector(n.get("mean")),
          vector(n.get("var")), vector(n.get("var_unbiased")), vector(n.get("mean_exact")),
          vector(n.get("var_exact")), vector(n.get("var_unbiased_exact"))));
    }
    return cases;
  }

  static List<Running> running() {
    List<Running> cases = new ArrayList<>();
    for (Path file : list("running")) {
      JsonNode n = read(file);
      List<double[][]> batches = new ArrayList<>();
      n.get("batches").forEach(b -> batches.add(matrix(b)));
      List<double[]> means = new ArrayList<>();
      n.get("running_mean").forEach(m -> means.add(vector(m)));
      List<double[]> vars = new ArrayList<>();
      n.get("running_var").forEach(v -> vars.add(vector(v)));
      cases.add(new Running(n.get("name").asText(), n.get("dtype").asText().equals("float64"),
          ints(n.get("shape")), n.get("eps").asDouble(), n.get("momentum").asDouble(),
          vector(n.get("weight")), vector(n.get("bias")), batches, means, vars,
          matrix(n.get("eval_output"))));
    }
    return cases;
  }

  private static List<Path> list(String folder) {
    try (Stream<Path> files = Files.list(dataDir().resolve("golden").resolve(folder))) {
      return files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonNode read(Path file) {
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int[] ints(JsonNode n) {
    int[] v = new int[n.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = n.get(i).asInt();
    }
    return v;
  }

  static double[] vector(JsonNode n) {
    if (n == null || n.isNull()) {
      return null;
    }
    double[] v = new double[n.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = n.get(i).asDouble();
    }
    return v;
  }

  private static double[][] matrix(JsonNode n) {
    if (n == null || n.isNull()) {
      return null;
    }
    double[][] m = new double[n.size()][];
    for (int i = 0; i < m.length; i++) {
      m[i] = vector(n.get(i));
    }
    return m;
  }
}
