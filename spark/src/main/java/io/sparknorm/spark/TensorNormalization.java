package io.sparknorm.spark;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.NormMethod;
import io.sparknorm.core.Normalizer;
import io.sparknorm.core.Normalizers;
import io.sparknorm.core.Shape;
import io.sparknorm.sql.NormalizeFunction;
import io.sparknorm.sql.SqlFunctions;
import io.sparknorm.sql.StatisticsStruct;
import io.sparknorm.sql.TensorCheckFunction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The Spark library: DataFrame in, DataFrame out, built on sparknorm's Catalyst expressions (the
 * same ones the SQL functions use). The normalized frame is ONE logical plan over the input: the
 * optimizer prunes the normalization when its column is not read, pushes filters on other columns
 * down to the source, and every Spark language and tool sees an ordinary query.
 *
 * <p>Batch norm fits its statistics first, with one aggregation ({@code batch_norm_stats}), then
 * normalizes with them; the other methods are per-row work only.
 */
public final class TensorNormalization {

  private TensorNormalization() {}

  /**
   * Normalizes a DataFrame as the spec says. Everything that can be checked without reading data
   * is checked first (columns, types, shape, groups, affine lengths); batch norm then fits its
   * statistics (one Spark job) unless the spec gives them; the shape, when not given, comes from
   * the first valid row (one small job).
   *
   * @throws IllegalArgumentException for a spec that breaks a rule, naming it
   * @throws RuntimeException from Spark, for an invalid row met while fitting with
   *     {@link HandleInvalid#ERROR}; {@link #describeFailure} says which row and rule
   */
  public static NormalizationResult normalize(Dataset<Row> input, NormalizeSpec spec) {
    if (spec.statisticsScale() != 1.0) {
      throw new IllegalArgumentException("scale: only statistics are reported scaled; normalizing is not");
    }
    Resolved resolved = resolve(input.schema(), spec);
    TensorColumn tensor = resolved.tensor();
    return withColumnName(tensor, () -> {
      Shape shape = resolved.shape() != null ? resolved.shape() : inferShape(input, tensor);
      FailureLocator.Context context = resolved.context(shape);
      boolean error = spec.handleInvalid() == HandleInvalid.ERROR;
      if (resolved.keys() != null) {
        return normalizeByKey(input, spec, resolved, shape, context);
      }
      BatchStatistics statistics = null;
      if (spec.method() == NormMethod.BATCH) {
        statistics = spec.statistics() != null ? spec.statistics()
            : StatisticsFit.fit(input, tensor, shape, error, context, 1.0);
      }
      Normalizer normalizer = normalizer(spec, shape, statistics);
      // Per-sample methods refuse a sample whose result is not finite, a constant segment with eps 0:
      // then that rule is checked with the others (only then: the check carries the normalizer, whose
      // affine can be large). Batch norm's statistics were checked where it was built.
      Normalizer rowRules = spec.method() != NormMethod.BATCH && spec.eps() == 0 ? normalizer : null;
      NormalizeFunction function = new NormalizeFunction(spec.method().id() + "_norm",
          new DataType[] {tensor.reader().type()}, tensor.name(), tensor.reader(),
          NormalizeFunction.NormalizerSource.fixed(normalizer), error, error, context.withNormalizer(rowRules));
      Column normalized = Columns.column(SqlFunctions.apply(function, Columns.expressions(tensor.column())));
      Column problem = spec.handleInvalid() == HandleInvalid.ERROR ? null
          : Columns.column(SqlFunctions.apply(TensorCheckFunction.problem(tensor.reader(), shape, rowRules),
              Columns.expressions(tensor.column())));
      return new NormalizationResult(input, outputColumns(input.schema(), resolved.outputCol(), normalized), problem,
          spec.handleInvalid(), resolved.outputCol(), shape, statistics);
    });
  }

  /**
   * The schema of {@code normalize(input, spec).frame()}, from the input's schema alone: every
   * rule a schema can show is checked (columns, types, output name, shape, groups, affine
   * lengths, statistics), no data is read. What Spark ML's {@code transformSchema} needs.
   *
   * @throws IllegalArgumentException for a spec that breaks a rule, naming it
   */
  public static StructType outputSchema(StructType schema, NormalizeSpec spec) {
    Resolved resolved = resolve(schema, spec);
    StructField output = new StructField(resolved.outputCol(), resolved.tensor().outputType(), true, Metadata.empty());
    List<StructField> fields = new ArrayList<>();
    boolean replaced = false;
    for (StructField field : schema.fields()) {
      replaced |= field.name().equals(resolved.outputCol());
      fields.add(field.name().equals(resolved.outputCol()) ? output : field);
    }
    if (!replaced) {
      fields.add(output);
    }
    return new StructType(fields.toArray(new StructField[0]));
  }

  /**
   * Batch norm's statistics as {@link #normalize} would fit them for this spec (one Spark job;
   * the shape, when not given, from the first valid row). Invalid rows fail the fit with
   * {@link HandleInvalid#ERROR}, else they are left out of the statistics.
   *
   * @throws IllegalArgumentException for a spec that breaks a rule, or when no channel has more
   *     than one value (PyTorch's rule), naming the column
   */
  public static BatchStatistics fitStatistics(Dataset<Row> input, NormalizeSpec spec) {
    Resolved resolved = resolve(input.schema(), spec);
    TensorColumn tensor = resolved.tensor();
    return withColumnName(tensor, () -> {
      Shape shape = resolved.shape() != null ? resolved.shape() : inferShape(input, tensor);
      return StatisticsFit.fit(input, tensor, shape, spec.handleInvalid() == HandleInvalid.ERROR, resolved.context(shape),
          spec.statisticsScale());
    });
  }

  /**
   * {@link #fitStatistics}, also counting the rows its one pass read, valid or not (the job's
   * {@code --stats-only} reports them).
   */
  public static CountedStatistics fitStatisticsCountingRows(Dataset<Row> input, NormalizeSpec spec) {
    Resolved resolved = resolve(input.schema(), spec);
    TensorColumn tensor = resolved.tensor();
    return withColumnName(tensor, () -> {
      Shape shape = resolved.shape() != null ? resolved.shape() : inferShape(input, tensor);
      return StatisticsFit.fitCountingRows(input, tensor, shape, spec.handleInvalid() == HandleInvalid.ERROR,
          resolved.context(shape), spec.statisticsScale());
    });
  }

  /**
   * Batch norm's statistics per key ({@link NormalizeSpec#by}) as {@link #normalize} would fit them:
   * one Spark job, one exact state per key and task shuffled, the global statistics merged from them.
   *
   * @throws IllegalArgumentException for a spec that breaks a rule, or a key with at most one value
   *     per channel, naming the key
   */
  public static KeyedStatistics fitKeyedStatistics(Dataset<Row> input, NormalizeSpec spec) {
    if (spec.by() == null) {
      throw new IllegalArgumentException("by: give the key columns");
    }
    Resolved resolved = resolve(input.schema(), spec);
    TensorColumn tensor = resolved.tensor();
    return withColumnName(tensor, () -> {
      Shape shape = resolved.shape() != null ? resolved.shape() : inferShape(input, tensor);
      return KeyedBatchNorm.fit(input, tensor, resolved.keys(), shape, spec.handleInvalid() == HandleInvalid.ERROR,
          resolved.context(shape), spec.statisticsScale());
    });
  }

  /**
   * The sample shape {@link #normalize} would use: the spec's, the given statistics', or that of
   * the first valid row (one small Spark job).
   */
  public static Shape shapeOf(Dataset<Row> input, NormalizeSpec spec) {
    Resolved resolved = resolve(input.schema(), spec);
    return withColumnName(resolved.tensor(),
        () -> resolved.shape() != null ? resolved.shape() : inferShape(input, resolved.tensor()));
  }

  /** A spec checked against a schema: the tensor, the output column, the id column, the shape if known. */
  private record Resolved(TensorColumn tensor, String outputCol, String idCol, Shape shape, List<String> keys) {
    FailureLocator.Context context(Shape actual) {
      return new FailureLocator.Context(tensor.columns(), tensor.isSingleColumn(), actual, idCol);
    }
  }

  /** Every check the schema allows, once: columns, types, output name, and with a shape every method rule. */
  private static Resolved resolve(StructType schema, NormalizeSpec spec) {
    TensorColumn tensor = spec.inputCols() != null ? TensorColumn.ofScalars(schema, spec.inputCols())
        : TensorColumn.of(schema, spec.inputCol());
    return withColumnName(tensor, () -> {
      String outputCol = outputCol(schema, tensor, spec);
      String idCol = spec.idCol() == null ? null : fieldName(schema, spec.idCol(), "id-col");
      if (spec.statistics() != null && spec.method() != NormMethod.BATCH) {
        throw new IllegalArgumentException("statistics are only for batch norm, not " + spec.method().id());
      }
      List<String> keys = spec.by() == null ? null : resolveKeys(schema, spec, tensor, outputCol);
      BatchStatistics given = spec.statistics() != null ? spec.statistics()
          : keys != null && spec.keyedStatistics() != null ? anyStatistics(spec.keyedStatistics()) : null;
      Shape shape = spec.shape() != null ? spec.shape() : given != null ? given.shape() : null;
      if (shape != null) {
        // Every rule of the method (groups, spatial size, affine lengths), before any data is read.
        normalizer(spec, shape, given != null ? given : placeholderStatistics(shape));
      }
      return new Resolved(tensor, outputCol, idCol, shape, keys);
    });
  }

  /** Batch norm per key: the key columns, and given statistics per key checked against them. */
  private static List<String> resolveKeys(StructType schema, NormalizeSpec spec, TensorColumn tensor,
      String outputCol) {
    if (spec.method() != NormMethod.BATCH) {
      throw new IllegalArgumentException("by: statistics per key are only for batch norm, not " + spec.method().id());
    }
    if (spec.statistics() != null) {
      throw new IllegalArgumentException("by: give statistics per key, not one set for all rows");
    }
    List<String> keys = KeyedBatchNorm.resolve(schema, spec.by(), tensor);
    if (keys.contains(outputCol)) {
      throw new IllegalArgumentException("by: column '" + outputCol + "' is also the output column");
    }
    KeyedStatistics given = spec.keyedStatistics();
    if (given != null) {
      List<String> lower = keys.stream().map(k -> k.toLowerCase(java.util.Locale.ROOT)).toList();
      if (!lower.equals(given.keyColumns().stream().map(k -> k.toLowerCase(java.util.Locale.ROOT)).toList())) {
        throw new IllegalArgumentException("by: the statistics are by " + given.keyColumns() + ", not by " + keys);
      }
      if (spec.unseenKey() == UnseenKey.GLOBAL && given.global() == null) {
        throw new IllegalArgumentException("unseen-key global: the statistics have none over all rows");
      }
      for (KeyedStatistics.Entry entry : given.entries()) {
        if (entry.statistics().shape().channels() != anyStatistics(given).shape().channels()) {
          throw new IllegalArgumentException("the statistics of key " + given.describe(entry.key()) + " have "
              + entry.statistics().shape().channels() + " channels, those of the other keys "
              + anyStatistics(given).shape().channels());
        }
      }
    }
    return keys;
  }

  /** Statistics that stand for all of these (the global ones, else the first key's): their shape is the shape. */
  private static BatchStatistics anyStatistics(KeyedStatistics keyed) {
    if (keyed.global() != null) {
      return keyed.global();
    }
    if (keyed.entries().isEmpty()) {
      throw new IllegalArgumentException("the statistics per key have no key and none over all rows");
    }
    return keyed.entries().get(0).statistics();
  }

  /**
   * Batch norm per key: each key's statistics fitted in one Spark job (or given), then each row
   * normalized with its key's, which a broadcast join brings to it.
   */
  private static NormalizationResult normalizeByKey(Dataset<Row> input, NormalizeSpec spec, Resolved resolved,
      Shape shape, FailureLocator.Context context) {
    TensorColumn tensor = resolved.tensor();
    boolean error = spec.handleInvalid() == HandleInvalid.ERROR;
    KeyedStatistics keyed = spec.keyedStatistics();
    if (keyed == null) {
      keyed = KeyedBatchNorm.fit(input, tensor, resolved.keys(), shape, error, context, 1.0);
    } else if (spec.unseenKey() == UnseenKey.ERROR) {
      // Fitted statistics cover every key; given ones may not: find such a row before writing anything.
      String unseen = KeyedBatchNorm.firstUnseenKey(input, keyed, resolved.idCol());
      if (unseen != null) {
        throw new IllegalArgumentException("column '" + String.join(",", resolved.keys()) + "', " + unseen);
      }
    }
    checkKeys(keyed, spec);
    Dataset<Row> joined = KeyedBatchNorm.withStatistics(input, keyed, spec.unseenKey() == UnseenKey.GLOBAL);
    NormalizeFunction function = new NormalizeFunction("batch_norm",
        new DataType[] {tensor.reader().type(), StatisticsStruct.TYPE}, tensor.name(), tensor.reader(),
        NormalizeFunction.NormalizerSource.perRowStatistics(StatisticsStruct.TYPE, spec.eps(), spec.affine()),
        error, error, context);
    Column normalized = Columns.column(SqlFunctions.apply(function,
        Columns.expressions(tensor.column(), KeyedBatchNorm.statisticsColumn())));
    Column problem = error ? null : Columns.column(SqlFunctions.apply(TensorCheckFunction.problem(tensor.reader(),
        shape), Columns.expressions(tensor.column())));
    return new NormalizationResult(joined, outputColumns(input.schema(), resolved.outputCol(), normalized), problem,
        spec.handleInvalid(), resolved.outputCol(), shape, keyed.global(), keyed);
  }

  /**
   * Builds each key's normalizer once on the driver (the rows' are built in the tasks), so that
   * statistics it refuses (a channel of variance 0 with eps 0) fail naming the key before any row
   * is normalized.
   */
  private static void checkKeys(KeyedStatistics keyed, NormalizeSpec spec) {
    for (KeyedStatistics.Entry entry : keyed.entries()) {
      checkNormalizer(entry.statistics(), spec, "key " + keyed.describe(entry.key()));
    }
    if (spec.unseenKey() == UnseenKey.GLOBAL && keyed.global() != null) {
      checkNormalizer(keyed.global(), spec, "the statistics over all rows");
    }
  }

  private static void checkNormalizer(BatchStatistics statistics, NormalizeSpec spec, String which) {
    try {
      Normalizers.batch(statistics, spec.eps(), spec.affine());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(which + ": " + e.getMessage(), e);
    }
  }

  /** The contract's error line names the column: say which tensor a rule is about. */
  private static <T> T withColumnName(TensorColumn tensor, Supplier<T> work) {
    try {
      return work.get();
    } catch (IllegalArgumentException e) {
      String message = e.getMessage();
      if (message != null && !message.startsWith("column '") && !message.contains("-col")
          && !message.startsWith("by: ") && !message.startsWith("unseen-key")) {
        throw new IllegalArgumentException("column '" + tensor.name() + "': " + e.getMessage(), e);
      }
      throw e;
    }
  }

  /** The aggregate of exact states for a spec whose shape is set: for a caller that aggregates more in the same pass. */
  static Column statesColumn(Dataset<Row> input, NormalizeSpec spec) {
    Resolved resolved = resolve(input.schema(), spec);
    return StatisticsFit.statesColumn(resolved.tensor(), resolved.shape(), spec.handleInvalid() == HandleInvalid.ERROR,
        resolved.context(resolved.shape()));
  }

  /** The statistics of aggregated states (null: no valid row), with PyTorch's rule of more than 1 value. */
  static BatchStatistics statisticsOf(byte[] states, NormalizeSpec spec) {
    return StatisticsFit.statisticsOf(states, spec.shape(), spec.statisticsScale());
  }

  /** The method's normalizer, with PyTorch's rules checked; statistics only for batch norm. */
  private static Normalizer normalizer(NormalizeSpec spec, Shape shape, BatchStatistics statistics) {
    switch (spec.method()) {
      case BATCH:
        if (statistics.shape().channels() != shape.channels()) {
          throw new IllegalArgumentException("the statistics have " + statistics.shape().channels()
              + " channels but the data's shape " + shape + " has " + shape.channels());
        }
        // Given statistics may name only the channels, as (C,): they apply to any spatial size.
        return statistics.shape().equals(shape) ? Normalizers.batch(statistics, spec.eps(), spec.affine())
            : Normalizers.batch(new BatchStatistics(shape, statistics.count(), statistics.mean(),
                statistics.meanResidual(), statistics.variance(), statistics.unbiasedVariance()), spec.eps(),
                spec.affine());
      case LAYER:
        return Normalizers.layer(shape, spec.eps(), spec.affine());
      case INSTANCE:
        return Normalizers.instance(shape, spec.eps(), spec.affine());
      default:
        return Normalizers.group(shape, spec.groups(), spec.eps(), spec.affine());
    }
  }

  /** Mean 0, variance 1: stands in for statistics not fitted yet, to check the other rules. */
  private static BatchStatistics placeholderStatistics(Shape shape) {
    double[] ones = new double[shape.channels()];
    Arrays.fill(ones, 1.0);
    return new BatchStatistics(shape, 0, new double[shape.channels()], ones, ones);
  }

  /** The input's columns with the normalized one in place of the input column, or last. */
  static Column[] outputColumns(StructType schema, String outputCol, Column normalized) {
    List<Column> columns = new ArrayList<>();
    boolean replaced = false;
    for (String name : schema.fieldNames()) {
      if (name.equals(outputCol)) {
        columns.add(normalized.as(outputCol));
        replaced = true;
      } else {
        columns.add(TensorColumn.quoted(name));
      }
    }
    if (!replaced) {
      columns.add(normalized.as(outputCol));
    }
    return columns.toArray(new Column[0]);
  }

  static String outputCol(StructType schema, TensorColumn tensor, NormalizeSpec spec) {
    String output = spec.outputCol();
    if (output == null && tensor.isSingleColumn()) {
      return tensor.name();
    }
    if (output == null) {
      output = NormalizeSpec.DEFAULT_INPUT_COL;
    }
    for (String existing : schema.fieldNames()) {
      if (existing.equalsIgnoreCase(output) && !(tensor.isSingleColumn() && existing.equals(tensor.name()))) {
        throw new IllegalArgumentException("output-col '" + output + "' names a column that already exists in the"
            + " input; choose a new name" + (tensor.isSingleColumn() ? ", or leave it out to replace the input column"
            : " with --output-col"));
      }
    }
    if (!tensor.isSingleColumn() && output.isEmpty()) {
      throw new IllegalArgumentException("output-col must not be empty");
    }
    return output;
  }

  /** The schema's name for a column given with an option, matched exactly or else ignoring case. */
  private static String fieldName(StructType schema, String column, String option) {
    try {
      return TensorColumn.field(schema, column).name();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(option + ": " + e.getMessage());
    }
  }

  /** The contract's default shape: (length of the first valid row,); (C, H, W) for images. */
  private static Shape inferShape(Dataset<Row> frame, TensorColumn tensor) {
    Column natural = Columns.column(SqlFunctions.apply(TensorCheckFunction.naturalShape(tensor.reader()),
        Columns.expressions(tensor.column())));
    List<Row> first = frame.select(natural.as("shape")).filter("shape IS NOT NULL").limit(1).collectAsList();
    if (first.isEmpty()) {
      throw new IllegalArgumentException("column '" + tensor.name() + "': no valid row to infer the shape from;"
          + " give --shape");
    }
    List<Integer> dims = first.get(0).getList(0);
    return Shape.of(dims.stream().mapToInt(Integer::intValue).toArray());
  }

  /**
   * The one-line description of a failure for the user: for an invalid row, its column, its
   * 0-based position in the input (or its id) and the rule broken; else the deepest message.
   * Finding the row costs one more Spark job over the input, on this error path only.
   */
  public static String describeFailure(Throwable failure, Dataset<Row> input) {
    return FailureLocator.describe(failure, input);
  }
}
