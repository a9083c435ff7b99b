package io.sparknorm.sql;

import io.sparknorm.core.ExactMoments;
import io.sparknorm.core.Shape;
import io.sparknorm.core.StatisticsException;
import io.sparknorm.core.TensorValueException;
import java.io.Serializable;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.SpecializedGetters;
import org.apache.spark.sql.connector.catalog.functions.AggregateFunction;
import org.apache.spark.sql.execution.vectorized.WritableColumnVector;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.vectorized.ColumnarBatch;

/**
 * {@code batch_norm_stats(tensor, shape)}: batch norm's per-channel statistics as a Spark SQL
 * aggregate with partial aggregation, so it runs in any aggregate plan, {@code GROUP BY} included.
 *
 * <p>The state is {@link ExactMoments}: per channel the count and the exact sums of the values and
 * of their squares, merged exactly, rounded once when the result is produced. The result is then
 * the same bits whatever the partitioning, the row order, the order in which Spark merges partial
 * states, retried tasks or lost executors, and each statistic is the exact one correctly rounded.
 *
 * <p>Invalid tensors fail the query, or are passed over when the caller asks (the library's skip
 * and keep modes: such rows never feed the statistics). Null tensors are passed over, as SQL
 * aggregates pass over nulls, unless the caller counts them as invalid. No valid row gives NULL.
 *
 * <p>Internal: public only for {@code io.sparknorm.spark} (the library's statistics pass, columnar
 * and per key); not part of the API (the SQL function {@code batch_norm_stats} is).
 */
public final class BatchNormStatsFunction implements AggregateFunction<ExactMoments, Object>, Serializable {
  private static final long serialVersionUID = 1L;

  /** The SQL name. */
  public static final String NAME = "batch_norm_stats";
  /** Values a chunk of a column batch reads at once: 16 KB of doubles, which the stage reads while in cache. */
  private static final int CHUNK_VALUES = 2048;

  private final DataType[] inputTypes;
  private final String argument;
  private final TensorReader reader;
  private final Shape shape;
  private final boolean failOnInvalid;
  private final boolean nullIsInvalid;
  private final Serializable context;
  private final boolean states;

  /** See {@link NormalizeFunction#NormalizeFunction} for the parameters. */
  public BatchNormStatsFunction(DataType[] inputTypes, String argument, TensorReader reader, Shape shape,
      boolean failOnInvalid, boolean nullIsInvalid, Serializable context) {
    this(inputTypes, argument, reader, shape, failOnInvalid, nullIsInvalid, context, false);
  }

  private BatchNormStatsFunction(DataType[] inputTypes, String argument, TensorReader reader, Shape shape,
      boolean failOnInvalid, boolean nullIsInvalid, Serializable context, boolean states) {
    this.states = states;
    this.inputTypes = inputTypes.clone();
    this.argument = argument;
    this.reader = reader;
    this.shape = shape;
    this.failOnInvalid = failOnInvalid;
    this.nullIsInvalid = nullIsInvalid;
    this.context = context;
  }

  /**
   * The same aggregate returning its exact state as bytes ({@link ExactMoments#toBytes()}) instead
   * of statistics: for a caller that merges states further on the driver, exactly (the library's
   * per-key statistics and their global total in one pass). Not a SQL function.
   */
  public BatchNormStatsFunction states() {
    return new BatchNormStatsFunction(inputTypes, argument, reader, shape, failOnInvalid, nullIsInvalid, context, true);
  }

  @Override
  public ExactMoments newAggregationState() {
    return new ExactMoments(shape);
  }

  @Override
  public ExactMoments update(ExactMoments state, InternalRow arguments) {
    return update(state, arguments, 0);
  }

  /** {@link #update} with the tensor at {@code ordinal} of {@code row}: Spark's input row, not copied. */
  ExactMoments update(ExactMoments state, SpecializedGetters row, int ordinal) {
    if (row.isNullAt(ordinal)) {
      if (nullIsInvalid) {
        invalid(TensorValues.nullTensor());
      }
      return state;
    }
    Object values;
    try {
      values = reader.read(row, ordinal);
    } catch (TensorValueException e) {
      invalid(e);
      return state;
    }
    TensorValueException problem = TensorValues.problem(values, shape);
    if (problem != null) {
      invalid(problem);
      return state;
    }
    return values instanceof double[] d ? state.update(d)
        : values instanceof float[] f ? state.update(f) : state.update((long[]) values);
  }

  /**
   * Folds the tensors at {@code ordinal} of a column batch in (a columnar scan's batch): runs of
   * arrays of doubles or floats that lie one after another in the batch's element vector, with no
   * null, are read from it a chunk at a time and, when every value is finite, staged at once;
   * every other row (and a chunk with a value that is not) goes through {@link
   * #update(ExactMoments, SpecializedGetters, int)}, row by row. The same state and the same errors.
   * The runs are found in {@link WritableColumnVector}s (what Spark's Parquet reader and its
   * in-memory batches fill): Spark's public {@code ColumnVector} gives no array offsets, so other
   * vectors (ORC's, Arrow's) are read row by row.
   */
  public ExactMoments update(ExactMoments state, ColumnarBatch batch, int ordinal) {
    int rows = batch.numRows();
    if (!(batch.column(ordinal) instanceof WritableColumnVector tensors) || !reader.isPlainArray()
        || tensors.arrayData().hasNull()) {
      return updateRows(state, batch, ordinal, 0, rows);
    }
    WritableColumnVector elements = tensors.arrayData();
    int size = shape.size();
    int chunk = Math.max(1, CHUNK_VALUES / size);
    boolean doubles = reader.isDouble();
    for (int row = 0; row < rows; ) {
      int end = contiguousEnd(tensors, row, Math.min(rows, row + chunk), size);
      if (end == row) {
        state = updateRows(state, batch, ordinal, row, row + 1);
        row++;
        continue;
      }
      int from = tensors.getArrayOffset(row);
      int n = end - row;
      if (doubles) {
        double[] values = elements.getDoubles(from, n * size);
        state = TensorValues.firstNonFinite(values) < 0 ? state.update(values, 0, n)
            : updateRows(state, batch, ordinal, row, end);
      } else {
        float[] values = elements.getFloats(from, n * size);
        state = TensorValues.firstNonFinite(values) < 0 ? state.update(values, 0, n)
            : updateRows(state, batch, ordinal, row, end);
      }
      row = end;
    }
    return state;
  }

  /**
   * The end of the run of rows from {@code row} (before {@code limit}) of non-null tensors of
   * {@code size} values, each right after the last in the element vector (package-private: tests).
   */
  static int contiguousEnd(WritableColumnVector tensors, int row, int limit, int size) {
    boolean nulls = tensors.hasNull();
    int next = tensors.getArrayOffset(row);
    int r = row;
    while (r < limit && !(nulls && tensors.isNullAt(r)) && tensors.getArrayLength(r) == size
        && tensors.getArrayOffset(r) == next) {
      r++;
      next += size;
    }
    return r;
  }

  private ExactMoments updateRows(ExactMoments state, ColumnarBatch batch, int ordinal, int from, int to) {
    for (int i = from; i < to; i++) {
      state = update(state, batch.getRow(i), ordinal);
    }
    return state;
  }

  private void invalid(TensorValueException rule) {
    if (failOnInvalid) {
      throw new InvalidTensorException(NAME, argument, rule, context);
    }
  }

  @Override
  public ExactMoments merge(ExactMoments left, ExactMoments right) {
    return left.merge(right);
  }

  @Override
  public Object produceResult(ExactMoments state) {
    if (state.count() == 0) {
      return null;
    }
    if (states) {
      return state.toBytes();
    }
    if (state.count() == 1 && context != null) {
      // The library's caller says PyTorch's rule itself, of its column: hand it the count alone.
      return StatisticsStruct.countOnly(state.count(), shape);
    }
    try {
      return StatisticsStruct.toRow(state.statistics());
    } catch (StatisticsException e) {
      throw e.worded(NAME + ": " + e.getMessage());
    }
  }

  @Override
  public DataType[] inputTypes() {
    return inputTypes.clone();
  }

  @Override
  public DataType resultType() {
    return states ? DataTypes.BinaryType : StatisticsStruct.TYPE;
  }

  @Override
  public boolean isResultNullable() {
    return true;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String canonicalName() {
    return "sparknorm." + NAME;
  }

  /** How the function reads in Spark's plans: {@code sparknorm.<name>}. */
  @Override
  public String toString() {
    return canonicalName();
  }
}
