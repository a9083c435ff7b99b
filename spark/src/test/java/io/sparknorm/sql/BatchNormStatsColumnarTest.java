package io.sparknorm.sql;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.sparknorm.core.ExactMoments;
import io.sparknorm.core.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.IntFunction;
import org.apache.spark.sql.execution.vectorized.OffHeapColumnVector;
import org.apache.spark.sql.execution.vectorized.OnHeapColumnVector;
import org.apache.spark.sql.execution.vectorized.WritableColumnVector;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import org.junit.jupiter.api.Test;

/**
 * {@code batch_norm_stats} over a whole column batch (the statistics pass over a columnar scan)
 * reads runs of valid tensors from the batch's element vector a chunk at a time, and leaves the
 * state, the counts and the errors of one update a row: on batches built here as Spark's Parquet
 * reader builds them, with null tensors, null elements, wrong lengths, NaN and infinity, gaps
 * between tensors, doubles and floats. No Spark session: the column vectors alone.
 */
class BatchNormStatsColumnarTest {
  private static final Shape SHAPE = Shape.of(3, 2);
  private static final int ROWS = 1_000;

  /** A batch of ROWS tensors; {@code tensor} gives row i's values (null: a null tensor); a gap after row 500. */
  private static ColumnarBatch batch(DataType element, IntFunction<double[]> tensor) {
    return batch(element, tensor, false);
  }

  /** The same, in on- or off-heap vectors ({@code spark.sql.columnVector.offheap.enabled}). */
  private static ColumnarBatch batch(DataType element, IntFunction<double[]> tensor, boolean offHeap) {
    ArrayType type = new ArrayType(element, true);
    WritableColumnVector column = offHeap ? new OffHeapColumnVector(ROWS, type) : new OnHeapColumnVector(ROWS, type);
    WritableColumnVector elements = column.arrayData();
    elements.reserve(ROWS * 8);
    int offset = 0;
    for (int i = 0; i < ROWS; i++) {
      double[] values = tensor.apply(i);
      if (values == null) {
        column.putNull(i);
        continue;
      }
      for (int j = 0; j < values.length; j++) {
        if (Double.isNaN(values[j]) && Double.doubleToRawLongBits(values[j]) == NULL_ELEMENT) {
          elements.putNull(offset + j);
        } else if (element.equals(DataTypes.FloatType)) {
          elements.putFloat(offset + j, (float) values[j]);
        } else {
          elements.putDouble(offset + j, values[j]);
        }
      }
      column.putArray(i, offset, values.length);
      offset += values.length + (i == 500 ? 3 : 0);
    }
    return new ColumnarBatch(new ColumnVector[] {column}, ROWS);
  }

  /** A NaN with a payload of its own: the batch maker writes a null element there. */
  private static final long NULL_ELEMENT = 0x7FF8_0000_0000_0BADL;

  private static double[] valid(int i) {
    Random random = new Random(i);
    double[] values = new double[SHAPE.size()];
    for (int j = 0; j < values.length; j++) {
      values[j] = (random.nextDouble() - 0.3) * Math.pow(10, random.nextInt(12) - 6) + 1e3 * j;
    }
    return values;
  }

  /** Invalid rows: 10 null, 20 of 5 values, 30 with NaN, 600 with infinity, 700 with a null element when asked. */
  private static double[] withInvalid(int i, boolean nullElement) {
    double[] values = valid(i);
    switch (i) {
      case 10: return null;
      case 20: return java.util.Arrays.copyOf(values, 5);
      case 30: values[3] = Double.NaN; return values;
      case 600: values[0] = Double.NEGATIVE_INFINITY; return values;
      case 700: if (nullElement) {
        values[2] = Double.longBitsToDouble(NULL_ELEMENT);
      }
      return values;
      default: return values;
    }
  }

  private static BatchNormStatsFunction function(DataType element, boolean failOnInvalid) {
    DataType type = new ArrayType(element, true);
    return new BatchNormStatsFunction(new DataType[] {type}, "tensor", TensorReader.forType(type), SHAPE,
        failOnInvalid, true, null);
  }

  private static ExactMoments rowByRow(BatchNormStatsFunction function, ColumnarBatch batch) {
    ExactMoments state = function.newAggregationState();
    for (int i = 0; i < batch.numRows(); i++) {
      state = function.update(state, batch.getRow(i), 0);
    }
    return state;
  }

  @Test
  void validDoublesAndFloatsAreReadInChunksToTheSameState() {
    for (DataType element : new DataType[] {DataTypes.DoubleType, DataTypes.FloatType}) {
      ColumnarBatch batch = batch(element, BatchNormStatsColumnarTest::valid);
      BatchNormStatsFunction function = function(element, true);
      ExactMoments expected = rowByRow(function, batch);
      ExactMoments chunked = function.update(function.newAggregationState(), batch, 0);
      assertEquals(ROWS * 2L, chunked.count(), element + ": values per channel");
      assertArrayEquals(expected.toBytes(), chunked.toBytes(), element.toString());
      // 1,000 rows of 6 values in chunks of 341 rows (2,048 values), split at the gap after row 500.
      assertEquals(List.of(341, 501, 842, 1000), runEnds(batch, 0), element + ": the runs read at once");
    }
  }

  @Test
  void invalidRowsArePassedOverAsRowByRow() {
    for (boolean nullElement : new boolean[] {false, true}) {
      ColumnarBatch batch = batch(DataTypes.DoubleType, i -> withInvalid(i, nullElement));
      BatchNormStatsFunction function = function(DataTypes.DoubleType, false);
      ExactMoments expected = rowByRow(function, batch);
      ExactMoments chunked = function.update(function.newAggregationState(), batch, 0);
      int invalid = nullElement ? 5 : 4;
      assertEquals((ROWS - invalid) * 2L, chunked.count(), "valid rows x S, null element " + nullElement);
      assertArrayEquals(expected.toBytes(), chunked.toBytes(), "null element " + nullElement);
    }
    // The null tensor (row 10) and the short one (20) end runs and are read alone; NaN and
    // infinity lie inside runs, whose chunks then go row by row.
    assertEquals(List.of(10, 10, 20, 20, 362, 501, 842, 1000), runEnds(batch(DataTypes.DoubleType,
        i -> withInvalid(i, false)), 0));
  }

  /** Where each run of the batch read at once ends, from {@code row} on; a row read alone ends its own (empty) run. */
  private static List<Integer> runEnds(ColumnarBatch batch, int row) {
    WritableColumnVector tensors = (WritableColumnVector) batch.column(0);
    List<Integer> ends = new ArrayList<>();
    while (row < batch.numRows()) {
      int end = BatchNormStatsFunction.contiguousEnd(tensors, row, Math.min(batch.numRows(), row + 341), SHAPE.size());
      ends.add(end);
      row = Math.max(end, row + 1);
    }
    return ends;
  }

  @Test
  void offHeapVectorsGiveTheSameState() {
    for (DataType element : new DataType[] {DataTypes.DoubleType, DataTypes.FloatType}) {
      BatchNormStatsFunction function = function(element, false);
      ColumnarBatch onHeap = batch(element, i -> withInvalid(i, false));
      ColumnarBatch offHeap = batch(element, i -> withInvalid(i, false), true);
      try {
        ExactMoments expected = rowByRow(function, onHeap);
        ExactMoments chunked = function.update(function.newAggregationState(), offHeap, 0);
        assertEquals((ROWS - 4) * 2L, chunked.count(), element + ": valid rows x S");
        assertArrayEquals(expected.toBytes(), chunked.toBytes(), element.toString());
        assertEquals(List.of(10, 10, 20, 20, 362, 501, 842, 1000), runEnds(offHeap, 0), element + ": runs");
      } finally {
        onHeap.close();
        offHeap.close();
      }
    }
  }

  @Test
  void theFirstInvalidRowFailsWithTheRowByRowError() {
    String[] expected = {
      "batch_norm_stats: tensor argument tensor: the tensor is null",
      "batch_norm_stats: tensor argument tensor: tensor of length 5 does not match shape (3,2) (6 elements)",
      "batch_norm_stats: tensor argument tensor: value NaN at index 3 is not finite",
      "batch_norm_stats: tensor argument tensor: value -Infinity at index 0 is not finite"};
    int[] firstInvalid = {10, 20, 30, 600};
    for (int k = 0; k < firstInvalid.length; k++) {
      int only = firstInvalid[k];
      ColumnarBatch batch = batch(DataTypes.DoubleType, i -> i == only ? withInvalid(i, false) : valid(i));
      BatchNormStatsFunction function = function(DataTypes.DoubleType, true);
      InvalidTensorException rowError = assertThrows(InvalidTensorException.class, () -> rowByRow(function, batch));
      InvalidTensorException chunkError = assertThrows(InvalidTensorException.class,
          () -> function.update(function.newAggregationState(), batch, 0));
      assertEquals(expected[k], rowError.getMessage());
      assertEquals(expected[k], chunkError.getMessage());
    }
  }
}
