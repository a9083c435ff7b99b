package io.sparknorm.spark;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.NormMethod;
import io.sparknorm.core.NormalizationException;
import io.sparknorm.core.NormalizationException.Rule;
import io.sparknorm.core.Normalizer;
import io.sparknorm.core.Normalizers;
import io.sparknorm.core.Shape;
import io.sparknorm.core.StatisticsException;
import io.sparknorm.sql.NormalizeFunction;
import io.sparknorm.sql.SqlFunctions;
import io.sparknorm.sql.StatisticsStruct;
import io.sparknorm.sql.TensorCheckFunction;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;

/**
 * The normalized frame of a resolved spec as ONE logical plan over the input: the normalization
 * function over the tensor column (with the statistics fitted first for batch norm), or, with
 * statistics per key, over the tensor and its key's statistics, which a broadcast join brings to
 * each row.
 */
final class NormalizationPlan {
  private NormalizationPlan() {}

  static NormalizationResult normalize(Dataset<Row> input, ResolvedSpec resolved) {
    NormalizeSpec spec = resolved.spec();
    TensorColumn tensor = resolved.tensor();
    return resolved.inColumn(() -> {
      Shape shape = resolved.shapeOf(input);
      FailureLocator.Context context = resolved.context(shape);
      boolean error = resolved.failOnInvalid();
      if (resolved.keys() != null) {
        return normalizeByKey(input, resolved, shape, context);
      }
      BatchStatistics statistics = null;
      if (spec.method() == NormMethod.BATCH) {
        statistics = spec.statistics() != null ? spec.statistics()
            : StatisticsFit.fit(input, tensor, shape, error, context, 1.0);
      }
      Normalizer normalizer = ResolvedSpec.normalizer(spec, shape, statistics);
      // Per-sample methods refuse a sample whose result is not finite, a constant segment with eps 0:
      // then that rule is checked with the others (only then: the check carries the normalizer, whose
      // affine can be large). Batch norm's statistics were checked where it was built.
      Normalizer rowRules = spec.method() != NormMethod.BATCH && spec.eps() == 0 ? normalizer : null;
      NormalizeFunction function = new NormalizeFunction(spec.method().id() + "_norm",
          new DataType[] {tensor.reader().type()}, tensor.name(), tensor.reader(),
          NormalizeFunction.NormalizerSource.fixed(normalizer), error, error, context.withNormalizer(rowRules));
      Column normalized = Columns.column(SqlFunctions.apply(function, Columns.expressions(tensor.column())));
      Column problem = error ? null
          : Columns.column(SqlFunctions.apply(TensorCheckFunction.problem(tensor.reader(), shape, rowRules),
              Columns.expressions(tensor.column())));
      return new NormalizationResult(input, outputColumns(input.schema(), resolved.outputCol(), normalized), problem,
          spec.handleInvalid(), resolved.outputCol(), shape, statistics);
    });
  }

  /**
   * Batch norm per key: each key's statistics fitted in one Spark job (or given), then each row
   * normalized with its key's, which a broadcast join brings to it.
   */
  private static NormalizationResult normalizeByKey(Dataset<Row> input, ResolvedSpec resolved, Shape shape,
      FailureLocator.Context context) {
    NormalizeSpec spec = resolved.spec();
    TensorColumn tensor = resolved.tensor();
    boolean error = resolved.failOnInvalid();
    KeyedStatistics keyed = spec.keyedStatistics();
    if (keyed == null) {
      keyed = KeyedBatchNorm.fit(input, tensor, resolved.keys(), shape, error, context, 1.0);
    } else if (spec.unseenKey() == UnseenKey.ERROR && !input.isStreaming()) {
      // Fitted statistics cover every key; given ones may not: find such a row before writing anything.
      FailureLocator.FirstRow unseen = KeyedBatchNorm.firstUnseenKey(input, keyed, resolved.idCol());
      if (unseen != null) {
        String key = (String) unseen.problem();
        throw ColumnException.atRow(String.join(",", resolved.keys()), unseen.position(), resolved.idCol(),
            unseen.id(), new StatisticsException(Rule.UNSEEN_KEY, key, -1, "key " + key + " has no statistics"
                + " (unseen-key global normalizes such rows with the statistics over all rows)"));
      }
    }
    checkKeys(keyed, spec);
    // A stream cannot be searched ahead for a row of an unseen key: such a row fails the query when it comes.
    Dataset<Row> joined = KeyedBatchNorm.withStatistics(input, keyed, spec.unseenKey() == UnseenKey.GLOBAL,
        input.isStreaming() && spec.unseenKey() == UnseenKey.ERROR);
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
    } catch (NormalizationException e) {
      throw e.worded(which + ": " + e.getMessage());
    }
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
}
