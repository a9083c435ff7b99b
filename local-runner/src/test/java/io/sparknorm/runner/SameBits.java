package io.sparknorm.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Two runs of the job on the same input, compared bit for bit: the output's values by row id
 * ({@link Double#doubleToRawLongBits}) and the statistics files number for number. For the cluster tests, whose
 * inputs have an {@code id} column numbering the rows from 0 and a {@code features} column of doubles.
 */
final class SameBits {
  private SameBits() {
  }

  /** The job's Parquet output indexed by id (0 .. rows-1): every id exactly once, each row {@code width} doubles. */
  static double[][] readById(SparkSession spark, Path output, int rows, int width) {
    double[][] byId = new double[rows][];
    long read = 0;
    Iterator<Row> it = spark.read().parquet(output.toString()).select("id", "features").toLocalIterator();
    while (it.hasNext()) {
      Row row = it.next();
      long id = row.getLong(0);
      read++;
      assertTrue(id >= 0 && id < rows, "id " + id + " is not an input id, in " + output);
      if (byId[(int) id] != null) {
        fail("id " + id + " twice in " + output);
      }
      double[] values = TestSpark.doubles(row, "features");
      assertNotNull(values, "null features for id " + id + " in " + output);
      assertEquals(width, values.length, "features of id " + id + " in " + output);
      byId[(int) id] = values;
    }
    // rows rows, each id in range and none twice: every id is there.
    assertEquals(rows, read, "rows in " + output);
    return byId;
  }

  /** Every value with the same bits; the message counts the differing ones and shows the first. */
  static void assertSameValues(double[][] expected, double[][] actual, String label) {
    assertEquals(expected.length, actual.length, label + ": rows");
    int differing = 0;
    String first = null;
    for (int id = 0; id < expected.length; id++) {
      for (int c = 0; c < expected[id].length; c++) {
        if (Double.doubleToRawLongBits(expected[id][c]) != Double.doubleToRawLongBits(actual[id][c])) {
          differing++;
          if (first == null) {
            first = String.format(Locale.ROOT, "id %d, element %d: %s (reference) vs %s", id, c,
                Double.toString(expected[id][c]), Double.toString(actual[id][c]));
          }
        }
      }
    }
    assertEquals(0, differing, label + ": values not bit-identical to the reference; first: " + first);
  }

  /** Both statistics files hold the same keys in the same order, and every number with the same bits. */
  static void assertSameStatistics(Path expectedFile, Path actualFile, String label) {
    assertTrue(Files.isRegularFile(actualFile), label + ": no statistics file " + actualFile);
    JsonNode expected = TestSpark.readJson(expectedFile);
    JsonNode actual = TestSpark.readJson(actualFile);
    List<String> names = new ArrayList<>();
    expected.fieldNames().forEachRemaining(names::add);
    List<String> actualNames = new ArrayList<>();
    actual.fieldNames().forEachRemaining(actualNames::add);
    assertEquals(names, actualNames, label + ": keys of the statistics file");
    for (String name : names) {
      assertSameNumbers(expected.get(name), actual.get(name), label + ": statistics '" + name + "'");
    }
  }

  static void assertSameNumbers(JsonNode expected, JsonNode actual, String what) {
    if (expected.isArray()) {
      assertEquals(expected.size(), actual.size(), what + " length");
      for (int i = 0; i < expected.size(); i++) {
        assertSameNumbers(expected.get(i), actual.get(i), what + "[" + i + "]");
      }
    } else if (expected.isNumber()) {
      assertTrue(actual.isNumber(), what + ": " + actual);
      assertEquals(Double.doubleToRawLongBits(expected.doubleValue()), Double.doubleToRawLongBits(actual.doubleValue()),
          what + ": " + expected + " (reference) vs " + actual);
    } else {
      assertEquals(expected, actual, what);
    }
  }
}
