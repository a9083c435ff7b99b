package io.sparknorm.spark;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.ExactMoments;
import io.sparknorm.core.NormMethod;
import io.sparknorm.core.Shape;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
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
 *
 * <p>On a stream ({@link Dataset#isStreaming()}) the per-row work runs as on a batch, with the same
 * bits, given the shape and, for batch norm, the statistics; what reads the whole input (fitting,
 * inferring the shape) is refused with a {@link io.sparknorm.sql.StreamingInputException}.
 *
 * <p>A rule of normalization broken is a {@link ColumnException}: the column, the row where one
 * row broke it, and the core's {@link io.sparknorm.core.NormalizationException} with the rule,
 * the value and the index. This class is the public API only: {@link ResolvedSpec} checks a spec
 * against a schema, {@link NormalizationPlan} builds the normalized frame.
 */
public final class TensorNormalization {

  private TensorNormalization() {}

  /**
   * Normalizes a DataFrame as the spec says. Everything that can be checked without reading data
   * is checked first (columns, types, shape, groups, affine lengths); batch norm then fits its
   * statistics (one Spark job) unless the spec gives them; the shape, when not given, comes from
   * the first valid row (one small job).
   *
   * @throws ColumnException for a spec or statistics that break a rule of normalization, naming the
   *     column, the rule, the value
   * @throws IllegalArgumentException for an option that breaks a rule, naming it
   * @throws RuntimeException from Spark, for an invalid row met while fitting with
   *     {@link HandleInvalid#ERROR}; {@link #locateFailure} says which row and rule
   */
  public static NormalizationResult normalize(Dataset<Row> input, NormalizeSpec spec) {
    if (spec.statisticsScale() != 1.0) {
      throw new IllegalArgumentException("scale: only statistics are reported scaled; normalizing is not");
    }
    if (spec.method() == NormMethod.BATCH && spec.statistics() == null && spec.keyedStatistics() == null) {
      BatchInput.require(input, "TensorNormalization.normalize", BatchInput.FIT);
    }
    return NormalizationPlan.normalize(input, ResolvedSpec.of(input.schema(), spec));
  }

  /**
   * The schema of {@code normalize(input, spec).frame()}, from the input's schema alone: every
   * rule a schema can show is checked (columns, types, output name, shape, groups, affine
   * lengths, statistics), no data is read. What Spark ML's {@code transformSchema} needs.
   *
   * @throws IllegalArgumentException for a spec that breaks a rule, naming it; a {@link
   *     ColumnException} for a rule of normalization
   */
  public static StructType outputSchema(StructType schema, NormalizeSpec spec) {
    ResolvedSpec resolved = ResolvedSpec.of(schema, spec);
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
   * @throws IllegalArgumentException for a spec that breaks a rule; a {@link ColumnException} of
   *     {@link io.sparknorm.core.NormalizationException.Rule#TOO_FEW_VALUES} when no channel has
   *     more than one value (PyTorch's rule), naming the column
   */
  public static BatchStatistics fitStatistics(Dataset<Row> input, NormalizeSpec spec) {
    BatchInput.require(input, "TensorNormalization.fitStatistics", BatchInput.FIT);
    ResolvedSpec resolved = ResolvedSpec.of(input.schema(), spec);
    return resolved.inColumn(() -> {
      Shape shape = resolved.shapeOf(input);
      return StatisticsFit.fit(input, resolved.tensor(), shape, resolved.failOnInvalid(), resolved.context(shape),
          spec.statisticsScale());
    });
  }

  /**
   * The exact moments ({@link ExactMoments}: count, exact sums) of the valid rows, as {@link #fitStatistics} fits
   * them in one Spark job, before anything is rounded: empty moments when no row is valid. They merge with moments
   * of other rows into the statistics of all of them, the same bits as one fit over every row; one set's
   * {@link ExactMoments#statistics()} is {@link #fitStatistics}' result. The spec's shape must be set.
   *
   * @throws IllegalArgumentException for a spec that breaks a rule, or has no shape
   * @throws RuntimeException from Spark, for an invalid row met with {@link HandleInvalid#ERROR}
   */
  public static ExactMoments fitMoments(Dataset<Row> input, NormalizeSpec spec) {
    if (spec.shape() == null) {
      throw new IllegalArgumentException("shape: give the shape to fit moments");
    }
    ResolvedSpec resolved = ResolvedSpec.of(input.schema(), spec);
    return resolved.inColumn(() -> {
      Shape shape = resolved.shape();
      byte[] states = StatisticsFit.states(input, resolved.tensor(), shape, resolved.failOnInvalid(),
          resolved.context(shape));
      return states == null ? new ExactMoments(shape) : ExactMoments.fromBytes(states);
    });
  }

  /**
   * {@link #fitStatistics}, also counting the rows its one pass read, valid or not (the job's
   * {@code --stats-only} reports them).
   */
  public static CountedStatistics fitStatisticsCountingRows(Dataset<Row> input, NormalizeSpec spec) {
    BatchInput.require(input, "TensorNormalization.fitStatisticsCountingRows", BatchInput.FIT);
    ResolvedSpec resolved = ResolvedSpec.of(input.schema(), spec);
    return resolved.inColumn(() -> {
      Shape shape = resolved.shapeOf(input);
      return StatisticsFit.fitCountingRows(input, resolved.tensor(), shape, resolved.failOnInvalid(),
          resolved.context(shape), spec.statisticsScale());
    });
  }

  /**
   * Batch norm's statistics per key ({@link NormalizeSpec#by}) as {@link #normalize} would fit them:
   * one Spark job, one exact state per key and task shuffled, the global statistics merged from them.
   *
   * @throws IllegalArgumentException for a spec that breaks a rule; a {@link ColumnException} for a
   *     key with at most one value per channel, naming the key
   */
  public static KeyedStatistics fitKeyedStatistics(Dataset<Row> input, NormalizeSpec spec) {
    if (spec.by() == null) {
      throw new IllegalArgumentException("by: give the key columns");
    }
    BatchInput.require(input, "TensorNormalization.fitKeyedStatistics", BatchInput.FIT);
    ResolvedSpec resolved = ResolvedSpec.of(input.schema(), spec);
    return resolved.inColumn(() -> {
      Shape shape = resolved.shapeOf(input);
      return KeyedBatchNorm.fit(input, resolved.tensor(), resolved.keys(), shape, resolved.failOnInvalid(),
          resolved.context(shape), spec.statisticsScale());
    });
  }

  /**
   * The sample shape {@link #normalize} would use: the spec's, the given statistics', or that of
   * the first valid row (one small Spark job).
   */
  public static Shape shapeOf(Dataset<Row> input, NormalizeSpec spec) {
    return ResolvedSpec.of(input.schema(), spec).shapeOf(input);
  }

  /**
   * The one-line description of a failure for the user: for an invalid row, its column, its
   * 0-based position in the input (or its id) and the rule broken; else the deepest message.
   * Finding the row costs one more Spark job over the input, on this error path only.
   */
  public static String describeFailure(Throwable failure, Dataset<Row> input) {
    return FailureLocator.describe(failure, input);
  }

  /**
   * A failure of normalizing {@code input} as a {@link ColumnException}, with its fields: the
   * column, the row (its 0-based position in the input and its id), the rule, the value, the
   * index. For a failure of an invalid row met in a Spark job, finding the row costs one more job
   * over the input (the row is not found when {@code input} is null). Null when the failure is not
   * one of a rule of normalization in a column (an unreadable file, Spark's own errors):
   * {@link #describeFailure} then says what it is.
   */
  public static ColumnException locateFailure(Throwable failure, Dataset<Row> input) {
    return FailureLocator.locate(failure, input);
  }
}
