package io.sparknorm.spark;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.NormMethod;
import io.sparknorm.core.NormalizationException;
import io.sparknorm.core.Normalizers;
import io.sparknorm.core.RunningStatistics;
import io.sparknorm.core.Shape;
import io.sparknorm.core.StatisticsException;
import io.sparknorm.sql.BatchNormStatsFunction;
import io.sparknorm.sql.NormalizeFunction;
import io.sparknorm.sql.SqlFunctions;
import io.sparknorm.sql.StatisticsStruct;
import io.sparknorm.sql.TensorCheckFunction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.expressions.RowOrdering;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Batch norm's training mode replayed over mini-batches, as a PyTorch training loop sees the data:
 * the rows, in the input's read order or sorted by a column, are cut into consecutive mini-batches
 * of B rows (the last one may be smaller); each mini-batch is normalized with its OWN statistics
 * (biased variance), and the running statistics move batch after batch with {@code momentum}
 * towards each batch's mean and unbiased variance ({@link RunningStatistics}).
 *
 * <p>How it runs, with no row shuffled to normalize:
 * <ol>
 *   <li>Each row's position is counted as {@link FailureLocator} does: {@code spark_partition_id}
 *       and {@code monotonically_increasing_id}, the rows per partition collected on the driver
 *       (one job), the partitions before a row's added. The mini-batch is position / B.
 *   <li>Every mini-batch's statistics in ONE aggregation, {@code batch_norm_stats} grouped by
 *       mini-batch: the shuffle carries one exact state per mini-batch and task, never rows, and
 *       each statistic is the exact one correctly rounded, the same bits for any partitioning.
 *   <li>The driver walks the mini-batches in order, updating the running statistics.
 *   <li>The rows meet their mini-batch's statistics through a broadcast join of the small table
 *       (mini-batch, statistics) and are normalized by {@code batch_norm} with a statistics column.
 * </ol>
 * The positions are computed again by each pass, so the read order must be the same each time:
 * it is for files and tables. A frame whose order comes out of a shuffle has none to replay: give
 * it an order column. With one, the rows are sorted once (that sort does move rows) and every
 * later pass reads that one sorted copy, so the positions cannot differ between passes.
 */
public final class MiniBatchReplay {
  private static final String PARTITION = "__sparknorm_partition";
  private static final String INDEX = "__sparknorm_index";
  private static final String BATCH = "__sparknorm_batch";
  private static final String TABLE_BATCH = "__sparknorm_table_batch";
  private static final String STATISTICS = "__sparknorm_batch_statistics";
  private static final String READ_ORDER = "__sparknorm_read_order";

  private MiniBatchReplay() {}

  /**
   * Normalizes each mini-batch of {@code batchSize} rows with its own batch statistics, PyTorch's
   * {@code F.batch_norm(x, running_mean, running_var, weight, bias, training=True, momentum, eps)}
   * called once per mini-batch. The result does not depend on the partitioning of the input.
   *
   * <p>The spec's method must be batch; its statistics, when given, are where the running
   * statistics start (their mean and var, as PyTorch's running_mean and running_var), else they
   * start at mean 0 and variance 1. The shape is the spec's, else the statistics', else inferred
   * from the first valid row; eps, affine, handleInvalid and idCol are used as
   * {@link TensorNormalization#normalize} uses them. Invalid rows: {@code error} fails (with
   * {@link TensorNormalization#describeFailure} naming the row); {@code skip} and {@code keep}
   * leave them out of the mini-batches, which are made of the valid rows only, and skip drops
   * them from the output while keep gives them a null result.
   *
   * <p>Runs two Spark jobs before it returns: the valid rows per partition, then the statistics of
   * every mini-batch; with {@code orderBy} the sort before them, and one more to infer the shape
   * when it is not given. The returned frame is lazy: writing it is one more pass, which reads the
   * statistics from a broadcast table of O(mini-batches x channels) values built on the driver.
   *
   * @param batchSize rows per mini-batch, at least 1
   * @param orderBy null to take the rows in the input's read order; else a column to sort them by,
   *     ascending, stably (ties keep read order), as Spark sorts: nulls first, NaN last, -0.0
   *     equal to 0.0
   * @param momentum in [0, 1]; {@link RunningStatistics#DEFAULT_MOMENTUM} is PyTorch's
   * @throws IllegalArgumentException for an option or a spec that breaks a rule, naming it
   *     ({@code batch-size}, {@code momentum}, {@code order-by}), before any data is read; when no
   *     row is valid; when a mini-batch has one value per channel (PyTorch's rule), naming it
   */
  public static ReplayResult normalize(Dataset<Row> input, NormalizeSpec spec, int batchSize, String orderBy,
      double momentum) {
    BatchInput.require(input, "MiniBatchReplay.normalize", BatchInput.REPLAY);
    String order = checkOptions(input.schema(), spec, batchSize, orderBy, momentum);
    // Every rule the schema shows (columns, types, output name, shape, affine), then the shape.
    ResolvedSpec resolved = ResolvedSpec.of(input.schema(), spec);
    TensorColumn tensor = resolved.tensor();
    String outputCol = resolved.outputCol();
    String idCol = resolved.idCol();
    Shape shape = resolved.shapeOf(input);
    RunningStatistics running = resolved.inColumn(() -> {
      Normalizers.batch(new BatchStatistics(shape, 0, new double[shape.channels()], ones(shape.channels()),
          ones(shape.channels())), spec.eps(), spec.affine());
      return spec.statistics() == null ? new RunningStatistics(shape, momentum)
          : new RunningStatistics(shape, momentum, spec.statistics().mean(), spec.statistics().variance());
    });
    boolean error = spec.handleInvalid() == HandleInvalid.ERROR;
    FailureLocator.Context context = new FailureLocator.Context(tensor.columns(), tensor.isSingleColumn(), shape, idCol);
    Column problem = error ? null : Columns.column(SqlFunctions.apply(TensorCheckFunction.problem(tensor.reader(),
        shape), Columns.expressions(tensor.column())));

    // A valid row's index in its partition: with skip and keep, invalid rows take no index (the
    // id is evaluated only for the rows the condition lets through), so mini-batches skip them.
    Column index = problem == null ? functions.monotonically_increasing_id()
        : functions.when(problem.isNull(), functions.monotonically_increasing_id());
    Dataset<Row> numbered = (order == null ? input : sortedOnce(input, order))
        .select(functions.col("*"), functions.spark_partition_id().as(PARTITION), index.as(INDEX));
    long[] offsets = offsets(numbered);
    long rows = offsets[offsets.length - 1];
    long batches = (rows + batchSize - 1) / batchSize;
    resolved.inColumn(() -> checkBatches(shape, rows, batchSize));

    Column partition = functions.col(PARTITION);
    Column position = functions.element_at(functions.lit(offsets), partition.plus(1))
        .plus(functions.col(INDEX).minus(functions.shiftleft(partition.cast(DataTypes.LongType), 33)));
    Dataset<Row> batched = numbered.withColumn(BATCH,
        functions.call_function("div", position, functions.lit((long) batchSize)));
    List<Row> statistics = fitBatches(batched, tensor, shape, error, context, rows, batchSize, batches);
    for (Row row : statistics) {
      BatchStatistics batch = StatisticsRows.fromRow(row.getStruct(1));
      try {
        // As the tasks will build it: statistics it refuses (a channel of variance 0 with eps 0) fail here.
        Normalizers.batch(batch, spec.eps(), spec.affine());
      } catch (NormalizationException e) {
        throw ColumnException.of(tensor.name(), e.worded("mini-batch " + (row.getLong(0) + 1) + " of " + batches + ": "
            + e.getMessage()));
      }
      running.update(batch);
    }

    Dataset<Row> joined = batched.join(functions.broadcast(table(input, statistics)),
        functions.col(BATCH).equalTo(functions.col(TABLE_BATCH)), "left");
    NormalizeFunction function = new NormalizeFunction("batch_norm",
        new DataType[] {tensor.reader().type(), StatisticsStruct.TYPE}, tensor.name(), tensor.reader(),
        NormalizeFunction.NormalizerSource.perRowStatistics(StatisticsStruct.TYPE, spec.eps(), spec.affine()),
        error, error, context);
    Column normalized = Columns.column(SqlFunctions.apply(function,
        Columns.expressions(tensor.column(), functions.col(STATISTICS))));
    NormalizationResult result = new NormalizationResult(joined,
        NormalizationPlan.outputColumns(input.schema(), outputCol, normalized), problem, spec.handleInvalid(),
        outputCol, shape, running.toStatistics());
    return new ReplayResult(result, running, batches, rows);
  }

  /** The options' rules, before any data is read; the schema's name of the order column, or null. */
  private static String checkOptions(StructType schema, NormalizeSpec spec, int batchSize, String orderBy,
      double momentum) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch-size is " + batchSize + ", must be at least 1");
    }
    if (!(momentum >= 0 && momentum <= 1)) {
      throw new IllegalArgumentException("momentum is " + momentum + ", must be in [0, 1]");
    }
    if (spec.method() != NormMethod.BATCH) {
      throw new IllegalArgumentException("batch-size: mini-batches are for batch norm only, not " + spec.method().id());
    }
    if (spec.by() != null) {
      throw new IllegalArgumentException("batch-size: mini-batches cannot have statistics per key (by)");
    }
    if (spec.statisticsScale() != 1.0) {
      throw new IllegalArgumentException("scale: only statistics are reported scaled; normalizing is not");
    }
    if (orderBy == null) {
      return null;
    }
    StructField field;
    try {
      field = TensorColumn.field(schema, orderBy);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("order-by: " + e.getMessage(), e);
    }
    if (!RowOrdering.isOrderable(field.dataType())) {
      throw new IllegalArgumentException("order-by: column '" + field.name() + "' is of type "
          + field.dataType().simpleString() + ", which Spark cannot sort");
    }
    return field.name();
  }

  /**
   * The input sorted by the column, ties in read order, as a frame over ONE sorted copy: the sort
   * runs here (its shuffle is materialized when the RDD is made) and every pass over the returned
   * frame reads the same shuffle output, even after a lost executor (Spark recomputes lost blocks
   * from the same dependency). Sorting again in each pass could cut the rows into partitions
   * differently (the range partitioner samples with a seed of its RDD's id), and the positions
   * counted in one pass would not hold in the next.
   */
  private static Dataset<Row> sortedOnce(Dataset<Row> input, String column) {
    Dataset<Row> sorted = input.withColumn(READ_ORDER, functions.monotonically_increasing_id())
        .sort(TensorColumn.quoted(column).asc_nulls_first(), functions.col(READ_ORDER).asc());
    return input.sparkSession().createDataFrame(sorted.javaRDD(), sorted.schema()).drop(READ_ORDER);
  }

  /**
   * The valid rows before each partition (one Spark job), by partition id; the last element is
   * the valid rows in all.
   */
  private static long[] offsets(Dataset<Row> numbered) {
    List<Row> counts = numbered.groupBy(PARTITION).agg(functions.count(functions.col(INDEX))).collectAsList();
    int partitions = counts.stream().mapToInt(r -> r.getInt(0) + 1).max().orElse(0);
    long[] offsets = new long[partitions + 1];
    for (Row count : counts) {
      offsets[count.getInt(0) + 1] = count.getLong(1);
    }
    for (int p = 1; p <= partitions; p++) {
      offsets[p] += offsets[p - 1];
    }
    return offsets;
  }

  /** PyTorch's rule, for every mini-batch at once: more than 1 value per channel; no row is none. */
  private static Void checkBatches(Shape shape, long rows, int batchSize) {
    long spatial = shape.size() / shape.channels();
    if (rows == 0) {
      throw StatisticsException.tooFewValues(0, "batch norm needs more than 1 value per channel, got 0 (no valid"
          + " row) for shape " + shape);
    }
    long batches = (rows + batchSize - 1) / batchSize;
    // Only a mini-batch of one row can have one value per channel: the first when B = 1, else the last.
    long first = batchSize == 1 ? 0 : batches - 1;
    long firstRow = first * batchSize;
    long size = Math.min(batchSize, rows - firstRow);
    if (size * spatial <= 1) {
      throw StatisticsException.tooFewValues(size * spatial, "mini-batch " + (first + 1) + " of " + batches + " (rows "
          + firstRow + " to " + (firstRow + size - 1) + ") has 1 value per channel; batch norm in training mode needs"
          + " more than 1 (PyTorch: Expected more than 1 value per channel when training)");
    }
    return null;
  }

  /**
   * Every mini-batch's statistics in one aggregation, in mini-batch order: rows of (mini-batch,
   * statistics struct). Each mini-batch must hold the rows the positions gave it; if not, the
   * input was read in another order than in the pass that counted them.
   */
  private static List<Row> fitBatches(Dataset<Row> batched, TensorColumn tensor, Shape shape, boolean error,
      FailureLocator.Context context, long rows, int batchSize, long batches) {
    BatchNormStatsFunction function = new BatchNormStatsFunction(new DataType[] {tensor.reader().type()},
        tensor.name(), tensor.reader(), shape, error, error, context);
    Column statistics = Columns.column(SqlFunctions.aggregate(function, Columns.expressions(tensor.column())));
    List<Row> result = new ArrayList<>(batched.filter(functions.col(BATCH).isNotNull())
        .groupBy(functions.col(BATCH)).agg(statistics.as(STATISTICS)).collectAsList());
    result.sort(Comparator.comparingLong(r -> r.getLong(0)));
    long spatial = shape.size() / shape.channels();
    for (int k = 0; k < batches; k++) {
      long expected = Math.min(batchSize, rows - (long) k * batchSize) * spatial;
      Row row = k < result.size() ? result.get(k) : null;
      if (row == null || row.getLong(0) != k || row.isNullAt(1) || row.getStruct(1).getLong(0) != expected
          || result.size() != batches) {
        throw new IllegalStateException("column '" + tensor.name() + "': mini-batch " + (k + 1) + " of " + batches
            + " did not get the rows counted for it: the input was read in another order than in the pass before;"
            + " mini-batches need a deterministic order (give an order column)");
      }
    }
    return result;
  }

  /** The statistics as a small frame: (mini-batch, the struct of {@code batch_norm_stats}). */
  private static Dataset<Row> table(Dataset<Row> input, List<Row> statistics) {
    StructType schema = new StructType().add(TABLE_BATCH, DataTypes.LongType, false)
        .add(STATISTICS, StatisticsRows.schema(), false);
    List<Row> rows = statistics.stream().map(r -> RowFactory.create(r.getLong(0), r.getStruct(1))).toList();
    return input.sparkSession().createDataFrame(rows, schema);
  }

  private static double[] ones(int n) {
    double[] ones = new double[n];
    Arrays.fill(ones, 1.0);
    return ones;
  }
}
