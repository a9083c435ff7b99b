package io.sparknorm.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A stream's Parquet output as Spark reads it back (a file sink's {@code _spark_metadata} honoured, hidden folders
 * skipped), indexed by the input's {@code id} (0 .. rows-1): how many rows, how many ids twice or missing, and each
 * id's values and micro-batch ({@code batch_id}, where the output has that column).
 */
final class StreamOutput {
  final int inputRows;
  final long rowsOut;
  final long duplicates;
  final long lost;
  final int batches;
  private final double[][] values;
  private final int[] batchIds;

  private StreamOutput(int inputRows, long rowsOut, long duplicates, double[][] values, int[] batchIds) {
    this.inputRows = inputRows;
    this.rowsOut = rowsOut;
    this.duplicates = duplicates;
    this.values = values;
    this.batchIds = batchIds;
    this.lost = Arrays.stream(values).filter(v -> v == null).count();
    this.batches = batchIds == null ? -1 : (int) Arrays.stream(batchIds).filter(b -> b >= 0).distinct().count();
  }

  /** Reads {@code output}; {@code withBatchId}: the output has a {@code batch_id} column (a folder per batch). */
  static StreamOutput read(SparkSession spark, Path output, int inputRows, boolean withBatchId) {
    Dataset<Row> frame = spark.read().parquet(output.toString());
    frame = withBatchId ? frame.select("id", "features", "batch_id") : frame.select("id", "features");
    double[][] values = new double[inputRows][];
    int[] batchIds = withBatchId ? new int[inputRows] : null;
    if (batchIds != null) {
      Arrays.fill(batchIds, -1);
    }
    long rows = 0;
    long duplicates = 0;
    Iterator<Row> it = frame.toLocalIterator();
    while (it.hasNext()) {
      Row row = it.next();
      rows++;
      long id = row.getLong(0);
      assertTrue(id >= 0 && id < inputRows, "id " + id + " is not an input id, in " + output);
      double[] features = TestSpark.doubles(row, "features");
      assertNotNull(features, "null features for id " + id + " in " + output);
      if (values[(int) id] != null) {
        duplicates++;
        continue;
      }
      values[(int) id] = features;
      if (batchIds != null) {
        batchIds[(int) id] = ((Number) row.get(2)).intValue();
      }
    }
    return new StreamOutput(inputRows, rows, duplicates, values, batchIds);
  }

  /**
   * Every id once, each with the reference's values bit for bit and, where both have it, the same micro-batch.
   * Returns the number of values compared.
   */
  long assertSameAs(StreamOutput reference, String label) {
    assertEquals(reference.inputRows, inputRows, label + ": input rows");
    assertEquals(0, duplicates, label + ": ids written more than once");
    assertEquals(0, lost, label + ": ids missing from the output");
    assertEquals(inputRows, rowsOut, label + ": rows out");
    long compared = 0;
    int differing = 0;
    int otherBatch = 0;
    String first = null;
    for (int id = 0; id < inputRows; id++) {
      double[] expected = reference.values[id];
      double[] actual = values[id];
      assertEquals(expected.length, actual.length, label + ": features of id " + id);
      for (int c = 0; c < expected.length; c++) {
        compared++;
        if (Double.doubleToRawLongBits(expected[c]) != Double.doubleToRawLongBits(actual[c])) {
          differing++;
          if (first == null) {
            first = String.format(Locale.ROOT, "id %d, element %d: %s (reference) vs %s", id, c, expected[c],
                actual[c]);
          }
        }
      }
      if (batchIds != null && reference.batchIds != null && batchIds[id] != reference.batchIds[id]) {
        otherBatch++;
        if (first == null) {
          first = "id " + id + " in batch " + batchIds[id] + ", in the reference " + reference.batchIds[id];
        }
      }
    }
    assertEquals(0, differing + otherBatch, label + ": " + differing + " values not bit-identical and " + otherBatch
        + " rows in another micro-batch than in the reference; first: " + first);
    return compared;
  }
}
