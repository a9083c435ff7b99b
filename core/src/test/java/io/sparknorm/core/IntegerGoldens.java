package io.sparknorm.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads the integer goldens that {@code data/golden/integers.py} writes: integer tensors (which
 * PyTorch refuses) with references computed from PyTorch's formulas in exact rational arithmetic.
 */
public final class IntegerGoldens {
  private static final ObjectMapper JSON = new ObjectMapper();

  private IntegerGoldens() {}

  /**
   * One case: integer input (int32 or int64 values, exact), each normalized value's exact result
   * correctly rounded to double, and for batch norm each statistic's exact value correctly rounded.
   */
  public record Case(String name, NormMethod method, boolean isLong, Shape shape, double eps, int groups,
      double[] weight, double[] bias, long[][] input, double[][] exactOutput, long count, double[] mean,
      double[] meanResidual, double[] variance, double[] unbiasedVariance, double[] std) {

    public Affine affine() {
      return Affine.of(weight, bias);
    }

    /** The normalizer of this case's method and parameters (batch norm: with the exact statistics). */
    public Normalizer normalizer() {
      return switch (method) {
        case BATCH -> Normalizers.batch(new BatchStatistics(shape, count, mean, meanResidual, variance,
            unbiasedVariance), eps, affine());
        case LAYER -> Normalizers.layer(shape, eps, affine());
        case INSTANCE -> Normalizers.instance(shape, eps, affine());
        case GROUP -> Normalizers.group(shape, groups, eps, affine());
      };
    }

    /** True when some value is beyond 2^53, where a double cannot hold every integer. */
    public boolean beyondDoubles() {
      return Stream.of(input).flatMapToLong(java.util.Arrays::stream).anyMatch(v -> Math.abs((double) v) > 0x1p53);
    }

    @Override
    public String toString() {
      return name;
    }
  }

  /** Every case, by name. */
  public static List<Case> cases() {
    Path folder = GoldenFiles.dataDir().resolve("golden").resolve("integers");
    try (Stream<Path> files = Files.list(folder)) {
      return files.filter(f -> f.toString().endsWith(".json")).sorted().map(IntegerGoldens::read).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The case of this name. */
  public static Case named(String name) {
    return cases().stream().filter(c -> c.name().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no integer golden " + name));
  }

  private static Case read(Path file) {
    try {
      JsonNode n = JSON.readTree(file.toFile());
      if (!"exact-rational".equals(n.get("reference").asText())) {
        throw new IllegalStateException(file + ": not an exact-rational reference");
      }
      JsonNode shape = n.get("shape");
      int[] dims = new int[shape.size()];
      for (int i = 0; i < dims.length; i++) {
        dims[i] = shape.get(i).asInt();
      }
      JsonNode in = n.get("input");
      long[][] input = new long[in.size()][];
      for (int i = 0; i < input.length; i++) {
        input[i] = new long[in.get(i).size()];
        for (int j = 0; j < input[i].length; j++) {
          input[i][j] = in.get(i).get(j).bigIntegerValue().longValueExact();
        }
      }
      JsonNode out = n.get("output_exact");
      double[][] output = new double[out.size()][];
      for (int i = 0; i < output.length; i++) {
        output[i] = GoldenFiles.vector(out.get(i));
      }
      boolean batch = n.has("mean_exact");
      return new Case(n.get("name").asText(), NormMethod.parse(n.get("method").asText()),
          n.get("dtype").asText().equals("int64"), Shape.of(dims), n.get("eps").asDouble(),
          n.get("groups").isNull() ? 0 : n.get("groups").asInt(), GoldenFiles.vector(n.get("weight")),
          GoldenFiles.vector(n.get("bias")), input, output, batch ? n.get("count").asLong() : 0,
          batch ? GoldenFiles.vector(n.get("mean_exact")) : null,
          batch ? GoldenFiles.vector(n.get("mean_residual_exact")) : null,
          batch ? GoldenFiles.vector(n.get("var_exact")) : null,
          batch ? GoldenFiles.vector(n.get("var_unbiased_exact")) : null,
          batch ? GoldenFiles.vector(n.get("std_exact")) : null);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One float32 ulp of the exact value: what the job's float output of integer input is held to. */
  public static double floatUlp(double exact) {
    return Math.ulp((float) exact);
  }
}
