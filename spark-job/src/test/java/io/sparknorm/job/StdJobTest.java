package io.sparknorm.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.DoubleStream;
import org.junit.jupiter.api.Test;

/**
 * The statistics file's {@code std} is the root of the exact variance rounded once, over all rows,
 * per key ({@code keys[].std}) and with {@code --scale}: on data chosen so that the root of the
 * rounded {@code var} (rounding twice) is one ulp off in each of them.
 */
class StdJobTest extends JobTestSupport {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final MathContext MC = new MathContext(2000);

  private static final double[] KEY_A = {0.1, 0.1, 0.2};
  private static final double[] KEY_B = {1.0, 1.1, 7.8, 7.3};
  private static final double[] ALL = DoubleStream.concat(DoubleStream.of(KEY_A), DoubleStream.of(KEY_B)).toArray();

  /** The nearest double to the standard deviation of the values divided by scale (60 digits, then rounded). */
  private static double exactStd(double[] values, double scale) {
    BigDecimal k = new BigDecimal(scale);
    BigDecimal n = BigDecimal.valueOf(values.length);
    BigDecimal sum = BigDecimal.ZERO;
    for (double v : values) {
      sum = sum.add(new BigDecimal(v).divide(k, MC));
    }
    BigDecimal mean = sum.divide(n, MC);
    BigDecimal m2 = BigDecimal.ZERO;
    for (double v : values) {
      BigDecimal d = new BigDecimal(v).divide(k, MC).subtract(mean);
      m2 = m2.add(d.multiply(d));
    }
    return m2.divide(n, MC).sqrt(new MathContext(60)).doubleValue();
  }

  /** std[0] of the node is the exact one, and the root of its var would not be. */
  private static void assertStd(double[] values, double scale, JsonNode node, String what) {
    double std = node.get("std").get(0).asDouble();
    double expected = exactStd(values, scale);
    assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(std),
        what + ": std " + std + ", exact " + expected);
    assertNotEquals(expected, Math.sqrt(node.get("var").get(0).asDouble()), what + ": the data must tell");
  }

  private Path csv() throws IOException {
    List<String> lines = new ArrayList<>(List.of("key,x"));
    for (double v : KEY_A) {
      lines.add("a," + v);
    }
    for (double v : KEY_B) {
      lines.add("b," + v);
    }
    Path input = dir.resolve("input.csv");
    Files.write(input, lines);
    return input;
  }

  @Test
  void theStatisticsFilesStdIsTheExactRootRoundedOnce() throws IOException {
    Path input = csv();
    Path plain = results.resolve("plain.json");
    JobRun.of("--input", input.toString(), "--input-cols", "x", "--output", results.resolve("plain").toString(),
        "--method", "batch", "--stats-out", plain.toString()).assertSucceeded("batch", 7, 7, 0, 0);
    assertStd(ALL, 1, JSON.readTree(plain.toFile()), "all rows");

    Path byKey = results.resolve("by-key.json");
    JobRun.of("--input", input.toString(), "--input-cols", "x", "--output", results.resolve("by-key").toString(),
        "--method", "batch", "--by", "key", "--stats-out", byKey.toString()).assertSucceeded("batch", 7, 7, 0, 0);
    JsonNode file = JSON.readTree(byKey.toFile());
    assertStd(ALL, 1, file, "all rows, with --by");
    assertEquals("a", file.get("keys").get(0).get("key").get("key").asText());
    assertStd(KEY_A, 1, file.get("keys").get(0), "key a");
    assertStd(KEY_B, 1, file.get("keys").get(1), "key b");
    // The three rows: 0.04714045207910317, where the root of var gives 0.047140452079103175.
    assertEquals(0.04714045207910317, file.get("keys").get(0).get("std").get(0).asDouble(), 0.0);

    Path scaled = results.resolve("scaled.json");
    JobRun.of("--input", input.toString(), "--input-cols", "x", "--method", "batch", "--stats-only", "--scale", "255",
        "--stats-out", scaled.toString()).assertSucceeded("batch", 7, 0, 0, 0);
    assertStd(ALL, 255, JSON.readTree(scaled.toFile()), "--scale 255");
  }
}
