package io.sparknorm.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Reads the PyTorch golden files that {@code data/golden/generate.py} writes (schemas in
 * {@code data/README.md}): the one reader of every module's tests (core's test jar; no Spark type).
 * {@link GoldenChecks} holds results to them.
 */
public final class GoldenFiles {
  private static final ObjectMapper JSON = new ObjectMapper();

  private GoldenFiles() {}

  /** The repository's data folder: the build passes it; running from a module folder, ../data. */
  public static Path dataDir() {
    String configured = System.getProperty("sparknorm.data.dir");
    Path dir = (configured != null && !configured.isBlank() ? Paths.get(configured) : Paths.get("..", "data"))
        .toAbsolutePath().normalize();
    if (!Files.isDirectory(dir.resolve("golden"))) {
      throw new IllegalStateException("no golden files under " + dir);
    }
    return dir;
  }

  /** The job's {@code --affine} file, {@code {"weight": [...], "bias": [...]}}, a missing one left out; the file. */
  public static Path writeAffine(Path file, double[] weight, double[] bias) {
    ObjectNode affine = JSON.createObjectNode();
    if (weight != null) {
      Arrays.stream(weight).forEach(affine.putArray("weight")::add);
    }
    if (bias != null) {
      Arrays.stream(bias).forEach(affine.putArray("bias")::add);
    }
    try {
      return Files.writeString(file, affine.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A shape as the job's {@code --shape} and the SQL functions take it: the dimensions joined by commas. */
  public static String shapeArg(Shape shape) {
    return Arrays.stream(shape.dims()).mapToObj(Integer::toString).collect(Collectors.joining(","));
  }

  /**
   * One normalization case: torch's input, output and (batch) statistics; for float64 cases also
   * the exact values (computed in rational arithmetic from the same input), else null.
   */
  public record Case(String name, NormMethod method, boolean isDouble, Shape shape, double eps, int groups,
      double[] weight, double[] bias, double[][] input, double[][] output, double[][] exactOutput, long count,
      double[] mean, double[] variance, double[] unbiasedVariance, double[] exactMean, double[] exactVariance,
      double[] exactUnbiasedVariance) {

    public Affine affine() {
      return Affine.of(weight, bias);
    }

    public boolean isBatch() {
      return method == NormMethod.BATCH;
    }

    public boolean hasAffine() {
      return weight != null || bias != null;
    }

    /** {@code --shape}: the dimensions joined by commas. */
    public String shapeArg() {
      return GoldenFiles.shapeArg(shape);
    }

    /**
     * The job's options for this case: {@code --method}, {@code --shape}, {@code --eps}, {@code --groups} for group
     * norm, and {@code --affine} with the weight and bias written to {@code dir/affine.json} when the case has any.
     */
    public List<String> jobOptions(Path dir) {
      List<String> options = new ArrayList<>(List.of("--method", method.id(), "--shape", shapeArg(), "--eps",
          Double.toString(eps)));
      if (method == NormMethod.GROUP) {
        options.addAll(List.of("--groups", Integer.toString(groups)));
      }
      if (hasAffine()) {
        options.addAll(List.of("--affine", writeAffine(dir.resolve("affine.json"), weight, bias).toString()));
      }
      return options;
    }

    /** Tolerance: 1e-5 absolute for float output, 1e-9 for double. */
    public double tolerance() {
      return isDouble ? 1e-9 : 1e-5;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /** One running-statistics case: several batches through PyTorch's training-mode batch norm. */
  public record Running(String name, boolean isDouble, Shape shape, double eps, double momentum, double[] weight,
      double[] bias, List<double[][]> batches, List<double[][]> outputs, List<double[]> runningMean,
      List<double[]> runningVar, double[][] evalOutput) {

    public boolean hasAffine() {
      return weight != null || bias != null;
    }

    /** {@code --shape}: the dimensions joined by commas. */
    public String shapeArg() {
      return GoldenFiles.shapeArg(shape);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /**
   * One mini-batch replay: {@code rows} split into consecutive batches of {@code batchSize} (the
   * last one smaller), each through PyTorch's training mode with the running statistics carried
   * over from {@code initialRunningMean}/{@code initialRunningVar}. {@code outputs} holds the output
   * of every row in row order; {@code exactOutputs} the exact ones for float64 (else null);
   * {@code runningMean}/{@code runningVar} the values after each batch. A case PyTorch refuses has
   * {@code torchError} and {@code errorBatch} (0-based) and null outputs and running values.
   */
  public record Replay(String name, boolean isDouble, Shape shape, double eps, double momentum, int batchSize,
      double[] weight, double[] bias, double[] initialRunningMean, double[] initialRunningVar, double[][] rows,
      double[][] outputs, double[][] exactOutputs, List<double[]> runningMean, List<double[]> runningVar,
      long numBatchesTracked, String torchError, Integer errorBatch) {

    public Affine affine() {
      return Affine.of(weight, bias);
    }

    /** The number of mini-batches the rows make. */
    public int batches() {
      return (rows.length + batchSize - 1) / batchSize;
    }

    /** Tolerance: 1e-5 absolute for float output, 1e-9 for double (as {@link Case#tolerance()}). */
    public double tolerance() {
      return isDouble ? 1e-9 : 1e-5;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /** One input that PyTorch refuses, with its message. */
  public record Refused(String name, NormMethod method, Shape shape, int groups, int samples, Integer weightLength,
      Integer biasLength, Integer tensorLength, String torchError) {
    @Override
    public String toString() {
      return name;
    }
  }

  public static List<Case> cases() {
    List<Case> cases = new ArrayList<>();
    for (Path file : list("cases")) {
      JsonNode n = read(file);
      boolean batch = n.get("method").asText().equals("batch");
      cases.add(new Case(n.get("name").asText(), NormMethod.parse(n.get("method").asText()),
          n.get("dtype").asText().equals("float64"), shape(n.get("shape")), n.get("eps").asDouble(),
          n.get("groups").isNull() ? 0 : n.get("groups").asInt(), vector(n.get("weight")), vector(n.get("bias")),
          matrix(n.get("input")), matrix(n.get("output")), matrix(n.get("output_exact")),
          batch ? n.get("count").asLong() : 0, vector(n.get("mean")), vector(n.get("var")),
          vector(n.get("var_unbiased")), vector(n.get("mean_exact")), vector(n.get("var_exact")),
          vector(n.get("var_unbiased_exact"))));
    }
    return cases;
  }

  public static List<Running> running() {
    List<Running> cases = new ArrayList<>();
    for (Path file : list("running")) {
      JsonNode n = read(file);
      List<double[][]> batches = new ArrayList<>();
      n.get("batches").forEach(b -> batches.add(matrix(b)));
      List<double[][]> outputs = new ArrayList<>();
      n.get("outputs").forEach(b -> outputs.add(matrix(b)));
      List<double[]> means = new ArrayList<>();
      n.get("running_mean").forEach(m -> means.add(vector(m)));
      List<double[]> vars = new ArrayList<>();
      n.get("running_var").forEach(v -> vars.add(vector(v)));
      cases.add(new Running(n.get("name").asText(), n.get("dtype").asText().equals("float64"), shape(n.get("shape")),
          n.get("eps").asDouble(), n.get("momentum").asDouble(), vector(n.get("weight")), vector(n.get("bias")),
          batches, outputs, means, vars, matrix(n.get("eval_output"))));
    }
    return cases;
  }

  public static List<Replay> replay() {
    List<Replay> cases = new ArrayList<>();
    for (Path file : list("replay")) {
      JsonNode n = read(file);
      boolean refused = !n.get("torch_error").isNull();
      List<double[]> means = new ArrayList<>();
      List<double[]> vars = new ArrayList<>();
      if (!refused) {
        n.get("running_mean").forEach(m -> means.add(vector(m)));
        n.get("running_var").forEach(v -> vars.add(vector(v)));
      }
      cases.add(new Replay(n.get("name").asText(), n.get("dtype").asText().equals("float64"), shape(n.get("shape")),
          n.get("eps").asDouble(), n.get("momentum").asDouble(), n.get("batch_size").asInt(), vector(n.get("weight")),
          vector(n.get("bias")), vector(n.get("initial_running_mean")), vector(n.get("initial_running_var")),
          matrix(n.get("rows")), matrix(n.get("outputs")), matrix(n.get("outputs_exact")),
          refused ? null : means, refused ? null : vars,
          refused ? 0 : n.get("num_batches_tracked").asLong(), refused ? n.get("torch_error").asText() : null,
          optionalInt(n.get("error_batch"))));
    }
    return cases;
  }

  public static List<Refused> refused() {
    List<Refused> cases = new ArrayList<>();
    for (JsonNode n : read(dataDir().resolve("golden").resolve("errors.json"))) {
      cases.add(new Refused(n.get("name").asText(), NormMethod.parse(n.get("method").asText()), shape(n.get("shape")),
          n.get("groups").isNull() ? 0 : n.get("groups").asInt(), n.get("samples").asInt(),
          optionalInt(n.get("weight_len")), optionalInt(n.get("bias_len")), optionalInt(n.get("tensor_len")),
          n.get("torch_error").asText()));
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

  private static Integer optionalInt(JsonNode n) {
    return n == null || n.isNull() ? null : n.asInt();
  }

  private static Shape shape(JsonNode n) {
    int[] dims = new int[n.size()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = n.get(i).asInt();
    }
    return Shape.of(dims);
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

  /** Casts to float, exactly for values written from float32. */
  public static float[] toFloat(double[] values) {
    float[] f = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      f[i] = (float) values[i];
    }
    return f;
  }
}
