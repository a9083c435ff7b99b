package io.sparknorm.spark;

import io.sparknorm.core.ArgumentException;
import io.sparknorm.core.ArgumentException.Argument;
import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.NormMethod;
import io.sparknorm.core.NormalizationException;
import io.sparknorm.core.NormalizationException.Rule;
import io.sparknorm.core.Normalizer;
import io.sparknorm.core.Normalizers;
import io.sparknorm.core.Shape;
import io.sparknorm.sql.SqlFunctions;
import io.sparknorm.sql.TensorCheckFunction;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * A spec checked against a schema, every check the schema allows done once, before any data is
 * read: the tensor, the output column, the id column, the key columns, and with a shape (given, or
 * that of given statistics) every rule of the method. A rule of normalization broken here or in
 * the work done for it ({@link #inColumn}) is a {@link ColumnException} naming the tensor's column;
 * the options' own errors (id-col, output-col, by, unseen-key) name their option.
 *
 * @param shape the spec's shape or that of its statistics; null when it comes from the data
 * @param keys the key columns of statistics per key, or null
 */
record ResolvedSpec(NormalizeSpec spec, TensorColumn tensor, String outputCol, String idCol, Shape shape,
    List<String> keys) {

  static ResolvedSpec of(StructType schema, NormalizeSpec spec) {
    TensorColumn tensor = spec.inputCols() != null ? TensorColumn.ofScalars(schema, spec.inputCols())
        : TensorColumn.of(schema, spec.inputCol());
    return inColumn(tensor, () -> {
      String outputCol = outputCol(schema, tensor, spec);
      String idCol = spec.idCol() == null ? null : fieldName(schema, spec.idCol(), "id-col");
      if (spec.statistics() != null && spec.method() != NormMethod.BATCH) {
        throw new ArgumentException(Rule.STATISTICS, Argument.STATISTICS, null, -1,
            "statistics are only for batch norm, not " + spec.method().id());
      }
      List<String> keys = spec.by() == null ? null : resolveKeys(schema, spec, tensor, outputCol);
      BatchStatistics given = spec.statistics() != null ? spec.statistics()
          : keys != null && spec.keyedStatistics() != null ? anyStatistics(spec.keyedStatistics()) : null;
      Shape shape = spec.shape() != null ? spec.shape() : given != null ? given.shape() : null;
      if (shape != null) {
        // Every rule of the method (groups, spatial size, affine lengths), before any data is read.
        normalizer(spec, shape, given != null ? given : placeholderStatistics(shape));
      }
      return new ResolvedSpec(spec, tensor, outputCol, idCol, shape, keys);
    });
  }

  /** What the library attaches to its expressions to find a failing row afterwards. */
  FailureLocator.Context context(Shape actual) {
    return new FailureLocator.Context(tensor.columns(), tensor.isSingleColumn(), actual, idCol);
  }

  /** True when an invalid row fails the work ({@link HandleInvalid#ERROR}). */
  boolean failOnInvalid() {
    return spec.handleInvalid() == HandleInvalid.ERROR;
  }

  /** The shape: known, else that of the first valid row (one small Spark job). */
  Shape shapeOf(Dataset<Row> input) {
    if (shape == null) {
      BatchInput.require(input, "shape", BatchInput.SHAPE);
    }
    return shape != null ? shape : inColumn(tensor, () -> inferShape(input, tensor));
  }

  /**
   * Runs work for this tensor: a rule of normalization it breaks becomes a {@link ColumnException}
   * naming the column (the contract's error line names the column).
   */
  <T> T inColumn(Supplier<T> work) {
    return inColumn(tensor, work);
  }

  private static <T> T inColumn(TensorColumn tensor, Supplier<T> work) {
    try {
      return work.get();
    } catch (ColumnException e) {
      throw e;
    } catch (NormalizationException e) {
      throw ColumnException.of(tensor.name(), e);
    }
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
      List<String> lower = keys.stream().map(k -> k.toLowerCase(Locale.ROOT)).toList();
      if (!lower.equals(given.keyColumns().stream().map(k -> k.toLowerCase(Locale.ROOT)).toList())) {
        throw new IllegalArgumentException("by: the statistics are by " + given.keyColumns() + ", not by " + keys);
      }
      if (spec.unseenKey() == UnseenKey.GLOBAL && given.global() == null) {
        throw new IllegalArgumentException("unseen-key global: the statistics have none over all rows");
      }
      int channels = anyStatistics(given).shape().channels();
      for (KeyedStatistics.Entry entry : given.entries()) {
        int own = entry.statistics().shape().channels();
        if (own != channels) {
          throw new ArgumentException(Rule.STATISTICS, Argument.STATISTICS, Integer.toString(own), -1,
              "the statistics of key " + given.describe(entry.key()) + " have " + own + " channels, those of the"
              + " other keys " + channels);
        }
      }
    }
    return keys;
  }

  /** Statistics that stand for all of these (the global ones, else the first key's): their shape is the shape. */
  static BatchStatistics anyStatistics(KeyedStatistics keyed) {
    if (keyed.global() != null) {
      return keyed.global();
    }
    if (keyed.entries().isEmpty()) {
      throw new ArgumentException(Rule.STATISTICS, Argument.STATISTICS, null, -1,
          "the statistics per key have no key and none over all rows");
    }
    return keyed.entries().get(0).statistics();
  }

  /** The method's normalizer, with PyTorch's rules checked; statistics only for batch norm. */
  static Normalizer normalizer(NormalizeSpec spec, Shape shape, BatchStatistics statistics) {
    switch (spec.method()) {
      case BATCH:
        if (statistics.shape().channels() != shape.channels()) {
          throw new ArgumentException(Rule.STATISTICS, Argument.STATISTICS,
              Integer.toString(statistics.shape().channels()), -1, "the statistics have "
              + statistics.shape().channels() + " channels but the data's shape " + shape + " has " + shape.channels());
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
}
