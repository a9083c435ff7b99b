package io.sparknorm.runner;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A Delta table at a path, as the tests look at it: its versions (the commit files in {@code _delta_log}, read
 * without Delta), its history and its rows at a version (read with Delta in a session from
 * {@link TestSpark#startWithDelta}).
 */
record DeltaFolder(Path path) {

  /** The versions that have a commit file, in order: {@code _delta_log/00000000000000000001.json} is version 1. */
  List<Long> versions() {
    Path log = path.resolve("_delta_log");
    if (!Files.isDirectory(log)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(log)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.matches("\\d{20}\\.json"))
          .map(n -> Long.parseLong(n.substring(0, 20))).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String sqlName() {
    return "delta.`" + path + "`";
  }

  /** {@code DESCRIBE HISTORY}, oldest version first. */
  List<Row> history(SparkSession spark) {
    return spark.sql("DESCRIBE HISTORY " + sqlName()).orderBy("version").collectAsList();
  }

  /** The {@code userMetadata} of one version's commit, parsed. */
  JsonNode userMetadata(SparkSession spark, long version) {
    Row row = spark.sql("DESCRIBE HISTORY " + sqlName()).where("version = " + version).first();
    String text = row.getString(row.fieldIndex("userMetadata"));
    try {
      return TestSpark.JSON.readTree(text == null ? "null" : text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The current version's rows. */
  Dataset<Row> frame(SparkSession spark) {
    return spark.read().format("delta").load(path.toString());
  }

  /** One version's rows (time travel). */
  Dataset<Row> frame(SparkSession spark, long version) {
    return spark.read().format("delta").option("versionAsOf", version).load(path.toString());
  }

  /** Rows in a fixed order (by every column that has one, arrays included) for a row-by-row comparison. */
  static List<Row> sorted(Dataset<Row> frame) {
    return frame.orderBy(frame.columns()[0], java.util.Arrays.copyOfRange(frame.columns(), 1,
        frame.columns().length)).collectAsList();
  }

  /**
   * The same rows, value for value: the same columns, and every number with the same bits (float and double arrays
   * compared by their raw bits, so -0.0 and 0.0, or two NaNs, never pass for each other).
   */
  static void assertSameRows(Dataset<Row> expected, Dataset<Row> actual) {
    assertEquals(expected.schema(), actual.schema(), "the columns");
    List<Row> want = sorted(expected);
    List<Row> got = sorted(actual);
    assertEquals(want.size(), got.size(), "rows");
    for (int r = 0; r < want.size(); r++) {
      for (int c = 0; c < want.get(r).size(); c++) {
        Object a = want.get(r).get(c);
        Object b = got.get(r).get(c);
        if (a instanceof scala.collection.Seq<?> seq) {
          assertArrayEquals(bits(seq), bits((scala.collection.Seq<?>) b), "row " + r + ", column " + c);
        } else {
          assertEquals(a, b, "row " + r + ", column " + c);
        }
      }
    }
  }

  private static long[] bits(scala.collection.Seq<?> seq) {
    List<?> list = scala.jdk.javaapi.CollectionConverters.asJava(seq);
    long[] bits = new long[list.size()];
    for (int i = 0; i < bits.length; i++) {
      Object v = list.get(i);
      bits[i] = v instanceof Float f ? Float.floatToRawIntBits(f) : v instanceof Double d
          ? Double.doubleToRawLongBits(d) : ((Number) v).longValue();
    }
    return bits;
  }
}
