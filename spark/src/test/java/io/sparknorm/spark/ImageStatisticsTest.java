package io.sparknorm.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.ExactMoments;
import io.sparknorm.core.GoldenFiles;
import io.sparknorm.core.NormMethod;
import io.sparknorm.core.Shape;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Spark's image source reads {@code data/digits-png} (100 8x8 grayscale PNGs of the first 100 rows of
 * {@code data/digits.jsonl}, pixel = value x 15, written by {@code data/prepare.py}), and batch
 * statistics over it are the exact mean and variance correctly rounded (the known answer of
 * {@code data/README.md}), computed here from {@code digits.jsonl} with BigInteger/BigDecimal.
 */
@ExtendWith(LocalSpark.class)
class ImageStatisticsTest {
  private static final int IMAGES = 100;
  private static final int FACTOR = 15;
  private static final Shape SHAPE = Shape.of(1, 8, 8);
  private static final Pattern NAME = Pattern.compile("digit-(\\d{4})-label-(\\d)\\.png$");

  private static SparkSession spark;

  /** The first 100 rows of digits.jsonl: {label, 64 features 0..16} each. */
  private static int[][] digits() throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<String> lines = Files.readAllLines(GoldenFiles.dataDir().resolve("digits.jsonl"), StandardCharsets.UTF_8);
    int[][] rows = new int[IMAGES][];
    for (int i = 0; i < IMAGES; i++) {
      JsonNode node = json.readTree(lines.get(i));
      assertEquals(i, node.get("id").asInt());
      JsonNode features = node.get("features");
      assertEquals(64, features.size());
      rows[i] = new int[65];
      rows[i][0] = node.get("label").asInt();
      for (int j = 0; j < 64; j++) {
        rows[i][j + 1] = features.get(j).asInt();
      }
    }
    return rows;
  }

  /** |num - den x|, exactly. */
  private static BigDecimal error(BigDecimal num, BigDecimal den, double x) {
    return num.subtract(den.multiply(new BigDecimal(x))).abs();
  }

  /**
   * The double nearest to num / den (den > 0; both exact): the 40-digit quotient rounded to double,
   * confirmed by exact comparison with both neighbours (no double is nearer; a tie goes to the even one).
   */
  private static double nearest(BigDecimal num, BigDecimal den) {
    double x = num.divide(den, new MathContext(40)).doubleValue();
    BigDecimal own = error(num, den, x);
    for (double neighbour : new double[] {Math.nextDown(x), Math.nextUp(x)}) {
      int cmp = error(num, den, neighbour).compareTo(own);
      assertTrue(cmp > 0 || (cmp == 0 && (Double.doubleToRawLongBits(x) & 1) == 0), neighbour + " is nearer than " + x);
    }
    return x;
  }

  private static double nearest(BigInteger num, BigInteger den) {
    return nearest(new BigDecimal(num), new BigDecimal(den));
  }

  /**
   * {mean, var (biased), var_unbiased, mean residual} of the pixels divided by scale, each
   * correctly rounded; the residual is S / (n k) - mean, what the rounding of the mean lost.
   */
  private static double[] knownAnswer(int[][] digits, int scale) {
    BigInteger sum = BigInteger.ZERO;
    BigInteger squares = BigInteger.ZERO;
    long count = 0;
    for (int[] digit : digits) {
      for (int j = 1; j <= 64; j++) {
        BigInteger pixel = BigInteger.valueOf((long) digit[j] * FACTOR);
        sum = sum.add(pixel);
        squares = squares.add(pixel.multiply(pixel));
        count++;
      }
    }
    BigInteger n = BigInteger.valueOf(count);
    BigInteger k = BigInteger.valueOf(scale);
    // mean = S / (n k); var = (n Q - S^2) / (n^2 k^2); unbiased = (n Q - S^2) / (n (n - 1) k^2).
    BigInteger spread = n.multiply(squares).subtract(sum.multiply(sum));
    double mean = nearest(sum, n.multiply(k));
    // S / (n k) - mean = (S - n k mean) / (n k), the numerator exact in BigDecimal.
    BigDecimal nk = new BigDecimal(n.multiply(k));
    double residual = nearest(new BigDecimal(sum).subtract(nk.multiply(new BigDecimal(mean))), nk);
    return new double[] {mean, nearest(spread, n.multiply(n).multiply(k).multiply(k)),
        nearest(spread, n.multiply(n.subtract(BigInteger.ONE)).multiply(k).multiply(k)), residual};
  }

  private static void assertSameBits(double expected, double actual, String what) {
    assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(actual),
        what + ": expected " + expected + ", got " + actual);
  }

  @Test
  void theDigitPngsReadBackAsTheDigitsAndTheirBatchStatisticsAreTheKnownAnswer() throws IOException {
    int[][] digits = digits();
    Path folder = GoldenFiles.dataDir().resolve("digits-png");
    Dataset<Row> images = spark.read().format("image").load(folder.toString());
    List<Row> rows = images.collectAsList();
    assertEquals(IMAGES, rows.size());

    // Every file holds its digit: one channel, 8x8, pixel = value x 15; the name gives index and label.
    ExactMoments pixels = new ExactMoments(SHAPE);
    boolean[] seen = new boolean[IMAGES];
    for (Row row : rows) {
      Row image = row.getStruct(0);
      String origin = image.getAs("origin");
      Matcher name = NAME.matcher(origin);
      assertTrue(name.find(), origin);
      int index = Integer.parseInt(name.group(1));
      assertTrue(!seen[index], origin);
      seen[index] = true;
      assertEquals(digits[index][0], Integer.parseInt(name.group(2)), origin + ": label");
      assertEquals(8, (int) image.getAs("height"));
      assertEquals(8, (int) image.getAs("width"));
      assertEquals(1, (int) image.getAs("nChannels"));
      assertEquals(0, (int) image.getAs("mode")); // OpenCV CV_8UC1
      byte[] data = image.getAs("data");
      double[] expected = new double[64];
      double[] actual = new double[64];
      for (int j = 0; j < 64; j++) {
        expected[j] = digits[index][j + 1] * FACTOR;
        actual[j] = data[j] & 0xFF;
      }
      assertArrayEquals(expected, actual, origin);
      pixels.update(actual);
    }

    // Batch statistics through Spark: the exact values correctly rounded.
    BatchStatistics stats = TensorNormalization.fitStatistics(images,
        new NormalizeSpec(NormMethod.BATCH).inputCol("image").shape(SHAPE));
    assertEquals(6400, stats.count());
    assertEquals(BatchStatistics.EXACT_SUMS, stats.algorithm());
    double[] raw = knownAnswer(digits, 1);
    assertSameBits(raw[0], stats.mean()[0], "mean");
    assertSameBits(raw[1], stats.variance()[0], "var");
    assertSameBits(raw[2], stats.unbiasedVariance()[0], "var_unbiased");
    assertSameBits(raw[3], stats.meanResidual()[0], "mean residual"); // 93441/1280 is not a double
    assertTrue(raw[3] != 0);
    // The numbers data/README.md gives.
    assertEquals(73.000781250000003, stats.mean()[0]);
    assertEquals(8264.8585931396483, stats.variance()[0]);
    assertEquals(90.911267690752439, Math.sqrt(stats.variance()[0]));

    // Divided by 255 (ExactMoments.statistics(255) on the pixels Spark read).
    double[] unit = knownAnswer(digits, 255);
    BatchStatistics scaled = pixels.statistics(255);
    assertEquals(6400, scaled.count());
    assertSameBits(unit[0], scaled.mean()[0], "mean / 255");
    assertSameBits(unit[1], scaled.variance()[0], "var / 255^2");
    assertSameBits(unit[2], scaled.unbiasedVariance()[0], "var_unbiased / 255^2");
    assertSameBits(unit[3], scaled.meanResidual()[0], "mean residual / 255");
    assertEquals(0.28627757352941174, scaled.mean()[0]);
    assertEquals(0.12710278497715721, scaled.variance()[0]);
    assertEquals(0.35651477525785269, Math.sqrt(scaled.variance()[0]));
    // And the statistics of the pixels in Spark are those of the same pixels in core.
    BatchStatistics direct = pixels.statistics();
    assertSameBits(direct.mean()[0], stats.mean()[0], "mean, core");
    assertSameBits(direct.variance()[0], stats.variance()[0], "var, core");
    assertSameBits(direct.meanResidual()[0], stats.meanResidual()[0], "mean residual, core");
  }
}
