package io.sparknorm.spark;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.ChannelMoments;
import io.sparknorm.core.NormMethod;
import io.sparknorm.core.Normalizer;
import io.sparknorm.core.Normalizers;
import io.sparknorm.core.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.SpecializedGetters;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;

/**
 * The Spark layer: DataFrame in, DataFrame out. Batch norm fits its per-channel statistics in ONE
 * distributed pass (each partition folds its rows into {@link ChannelMoments}; the driver merges
 * the O(C) partial states in partition order, so the result does not depend on which task ends
 * first or is retried); then every method is one per-row map with no shuffle.
 *
 * <p>Both passes work on Spark's internal rows: each tensor is read as one primitive array, never
 * element by element through boxed values.
 */
public final class TensorNormalization {

  private TensorNormalization() {}

  /** The normalized frame (lazy) and what it was computed with. */
  public static final class Result {
    private final Dataset<Row> frame;
    private final String outputCol;
    private final Shape shape;
    private final BatchStatistics statistics;
    private final LongAccumulator rowsIn;
    private final LongAccumulator rowsSkipped;
    private final LongAccumulator rowsKeptInvalid;

    Result(Dataset<Row> frame, String outputCol, Shape shape, BatchStatistics statistics, LongAccumulator rowsIn,
        LongAccumulator rowsSkipped, LongAccumulator rowsKeptInvalid) {
      this.frame = frame;
      this.outputCol = outputCol;
      this.shape = shape;
      this.statistics = statistics;
      this.rowsIn = rowsIn;
      this.rowsSkipped = rowsSkipped;
      this.rowsKeptInvalid = rowsKeptInvalid;
    }

    /** The input's columns with the normalized one; lazy like any DataFrame. */
    public Dataset<Row> frame() {
      return frame;
    }

    /** The name of the normalized column in {@link #frame()}. */
    public String outputCol() {
      return outputCol;
    }

    /** The sample shape used, given or inferred. */
    public Shape shape() {
      return shape;
    }

    /** Batch norm's statistics (fitted or given); null for the other methods. */
    public BatchStatistics statistics() {
      return statistics;
    }

    /*
     * The counts are Spark accumulators: they add up over every action run on frame(). After the
     * one action of a job (its write) they are that action's counts.
     */

    /** Rows read by the actions on {@link #frame()} so far. */
    public long rowsIn() {
      return rowsIn.value();
    }

    /** Invalid rows dropped by {@link HandleInvalid#SKIP} in the actions so far. */
    public long rowsSkipped() {
      return rowsSkipped.value();
    }

    /** Invalid rows kept with a null result by {@link HandleInvalid#KEEP} in the actions so far. */
    public long rowsKeptInvalid() {
      return rowsKeptInvalid.value();
    }
  }

  /**
   * Normalizes a DataFrame as the spec says. Everything that can be checked without reading data
   * is checked first (columns, types, groups, affine lengths); batch norm then fits its statistics
   * (one Spark job) unless the spec gives them.
   *
   * @throws IllegalArgumentException for a spec that breaks a rule, naming it
   * @throws InvalidRowException (possibly inside a SparkException) for an invalid row with
   *     {@link HandleInvalid#ERROR}; see {@link #describeFailure}
   */
  public static Result normalize(Dataset<Row> input, NormalizeSpec spec) {
    StructType schema = input.schema();
    TensorColumn tensor = resolveTensor(schema, spec);
    try {
      return normalize(input, spec, tensor);
    } catch (IllegalArgumentException e) {
      // The contract's error line names the column: say which tensor a rule is about.
      if (e.getMessage() != null && !e.getMessage().startsWith("column '") && !e.getMessage().contains("-col")) {
        throw new IllegalArgumentException("column '" + tensor.name() + "': " + e.getMessage(), e);
      }
      throw e;
    }
  }

  private static Result normalize(Dataset<Row> frame, NormalizeSpec spec, TensorColumn tensor) {
    StructType schema = frame.schema();
    String outputCol = resolveOutputCol(schema, tensor, spec);
    int idOrdinal = spec.idCol() == null ? -1 : schema.fieldIndex(fieldName(schema, spec.idCol(), "id-col"));
    if (spec.statistics() != null && spec.method() != NormMethod.BATCH) {
      throw new IllegalArgumentException("statistics are only for batch norm, not " + spec.method().id());
    }
    Shape shape = spec.shape();
    if (shape != null) {
      // Every rule of the method (groups, spatial size, affine lengths), before any data is read.
      normalizer(spec, shape, spec.statistics() != null ? spec.statistics() : placeholderStatistics(shape));
    } else {
      shape = spec.statistics() != null ? spec.statistics().shape() : inferShape(frame, tensor);
    }
    BatchStatistics statistics = null;
    if (spec.method() == NormMethod.BATCH) {
      statistics = spec.statistics() != null ? spec.statistics()
          : fitStatistics(frame, tensor, shape, spec.handleInvalid(), spec.idCol());
    }
    return apply(frame, tensor, shape, normalizer(spec, shape, statistics), outputCol, spec, idOrdinal, statistics);
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
            : Normalizers.batch(shape, statistics.mean(), statistics.variance(), spec.eps(), spec.affine());
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
    java.util.Arrays.fill(ones, 1.0);
    return new BatchStatistics(shape, 0, new double[shape.channels()], ones, ones);
  }

  private static TensorColumn resolveTensor(StructType schema, NormalizeSpec spec) {
    if (spec.inputCols() != null) {
      return TensorColumn.ofScalars(schema, spec.inputCols());
    }
    return TensorColumn.of(schema, spec.inputCol());
  }

  private static String resolveOutputCol(StructType schema, TensorColumn tensor, NormalizeSpec spec) {
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
    Dataset<Row> projected = project(frame, tensor, null);
    TensorColumn local = resolveProjected(projected.schema(), tensor);
    RowValidator validator = new RowValidator(local, null, HandleInvalid.SKIP, -1, null);
    List<int[]> first = projected.queryExecution().toRdd().toJavaRDD()
        .map(row -> {
          Object values = validator.read(row, 0, 0);
          int length = values == null ? 0 : values instanceof double[] d ? d.length : ((float[]) values).length;
          return length == 0 ? new int[0] : local.naturalShape(row, length);
        })
        .filter(dims -> dims.length > 0)
        .take(1);
    if (first.isEmpty()) {
      throw new IllegalArgumentException("column '" + tensor.name() + "': no valid row to infer the shape from;"
          + " give --shape");
    }
    return Shape.of(first.get(0));
  }

  /** The tensor's columns (and the id column) alone, so that columnar sources decode nothing else. */
  private static Dataset<Row> project(Dataset<Row> frame, TensorColumn tensor, String idCol) {
    List<Column> columns = new ArrayList<>();
    StructType schema = frame.schema();
    for (int ordinal : tensor.ordinals()) {
      columns.add(functions.col("`" + schema.fields()[ordinal].name() + "`"));
    }
    if (idCol != null) {
      columns.add(functions.col("`" + fieldName(schema, idCol, "id-col") + "`"));
    }
    return frame.select(columns.toArray(new Column[0]));
  }

  private static TensorColumn resolveProjected(StructType projected, TensorColumn tensor) {
    if (tensor.isSingleColumn()) {
      return TensorColumn.of(projected, tensor.name());
    }
    return TensorColumn.ofScalars(projected, List.of(tensor.name().split(",")));
  }

  /**
   * Batch norm's statistics over every valid row: one Spark job, each partition folding its rows
   * into {@link ChannelMoments}, the partial states merged on the driver in partition order.
   */
  public static BatchStatistics fitStatistics(Dataset<Row> frame, TensorColumn tensor, Shape shape,
      HandleInvalid handleInvalid, String idCol) {
    Dataset<Row> projected = project(frame, tensor, idCol);
    StructType schema = projected.schema();
    TensorColumn local = resolveProjected(schema, tensor);
    int idOrdinal = idCol == null ? -1 : schema.size() - 1;
    DataType idType = idCol == null ? null : schema.fields()[idOrdinal].dataType();
    RowValidator validator = new RowValidator(local, shape, handleInvalid, idOrdinal, idType);
    List<ChannelMoments> parts = projected.queryExecution().toRdd().toJavaRDD()
        .mapPartitionsWithIndex((partition, rows) -> {
          ChannelMoments moments = new ChannelMoments(shape);
          long index = 0;
          while (rows.hasNext()) {
            Object values = validator.read(rows.next(), partition, index++);
            if (values instanceof double[] d) {
              moments.update(d);
            } else if (values != null) {
              moments.update((float[]) values);
            }
          }
          return Collections.singletonList(moments).iterator();
        }, false)
        .collect();
    ChannelMoments total = new ChannelMoments(shape);
    parts.forEach(total::merge);
    return total.statistics();
  }

  private static Result apply(Dataset<Row> frame, TensorColumn tensor, Shape shape, Normalizer normalizer,
      String outputCol, NormalizeSpec spec, int idOrdinal, BatchStatistics statistics) {
    StructType inSchema = frame.schema();
    int outOrdinal = -1;
    List<StructField> fields = new ArrayList<>(List.of(inSchema.fields()));
    for (int i = 0; i < fields.size(); i++) {
      if (fields.get(i).name().equals(outputCol)) {
        outOrdinal = i;
      }
    }
    StructField outField = new StructField(outputCol, tensor.outputType(), true,
        org.apache.spark.sql.types.Metadata.empty());
    if (outOrdinal >= 0) {
      fields.set(outOrdinal, outField);
    } else {
      outOrdinal = fields.size();
      fields.add(outField);
    }
    StructType outSchema = new StructType(fields.toArray(new StructField[0]));

    org.apache.spark.SparkContext sc = frame.sparkSession().sparkContext();
    LongAccumulator rowsIn = sc.longAccumulator("sparknorm rows in");
    LongAccumulator rowsSkipped = sc.longAccumulator("sparknorm rows skipped");
    LongAccumulator rowsKept = sc.longAccumulator("sparknorm invalid rows kept");
    DataType idType = idOrdinal < 0 ? null : inSchema.fields()[idOrdinal].dataType();
    RowValidator validator = new RowValidator(tensor, shape, spec.handleInvalid(), idOrdinal, idType);
    DataType[] inTypes = new DataType[inSchema.size()];
    for (int i = 0; i < inTypes.length; i++) {
      inTypes[i] = inSchema.fields()[i].dataType();
    }
    int width = outSchema.size();
    int resultOrdinal = outOrdinal;
    boolean skip = spec.handleInvalid() == HandleInvalid.SKIP;

    JavaRDD<InternalRow> out = frame.queryExecution().toRdd().toJavaRDD()
        .mapPartitionsWithIndex((partition, rows) -> new Iterator<InternalRow>() {
          // Typed accessors, chosen once: InternalRow.get(i, type) looks the type up (and the
          // session's configuration with it) on every call.
          private final scala.Function2<SpecializedGetters, Object, Object>[] getters = accessors(inTypes);
          private long index;
          private long read;
          private long skipped;
          private long kept;
          private InternalRow next;

          @Override
          public boolean hasNext() {
            while (next == null && rows.hasNext()) {
              InternalRow row = rows.next();
              read++;
              Object values = validator.read(row, partition, index++);
              Object result = null;
              if (values instanceof double[] d) {
                normalizer.normalize(d, d);
                result = tensor.toCatalyst(d);
              } else if (values != null) {
                float[] f = (float[]) values;
                normalizer.normalize(f, f);
                result = tensor.toCatalyst(f);
              } else if (skip) {
                skipped++;
                continue;
              } else {
                kept++;
              }
              Object[] cells = new Object[width];
              for (int i = 0; i < inTypes.length; i++) {
                if (i != resultOrdinal) {
                  cells[i] = getters[i].apply(row, i);
                }
              }
              cells[resultOrdinal] = result;
              next = new GenericInternalRow(cells);
            }
            if (next == null) {
              // The partition is done: publish its counts once.
              rowsIn.add(read);
              rowsSkipped.add(skipped);
              rowsKept.add(kept);
              read = skipped = kept = 0;
            }
            return next != null;
          }

          @Override
          public InternalRow next() {
            if (!hasNext()) {
              throw new NoSuchElementException();
            }
            InternalRow row = next;
            next = null;
            return row;
          }
        }, true);

    org.apache.spark.sql.classic.SparkSession session = (org.apache.spark.sql.classic.SparkSession) frame.sparkSession();
    Dataset<Row> result = session.internalCreateDataFrame(out.rdd(), outSchema, false);
    return new Result(result, outputCol, shape, statistics, rowsIn, rowsSkipped, rowsKept);
  }

  @SuppressWarnings("unchecked")
  private static scala.Function2<SpecializedGetters, Object, Object>[] accessors(DataType[] types) {
    scala.Function2<SpecializedGetters, Object, Object>[] getters = new scala.Function2[types.length];
    for (int i = 0; i < types.length; i++) {
      getters[i] = InternalRow.getAccessor(types[i], true);
    }
    return getters;
  }

  /**
   * The one-line description of a failure for the user: for an invalid row, its column, its
   * 0-based position in the input (counted over the partitions before it: one more job, on the
   * error path only) or its id, and the rule broken; else the deepest message.
   */
  public static String describeFailure(Throwable failure, Dataset<Row> input) {
    InvalidRowException invalid = find(failure, InvalidRowException.class);
    if (invalid != null) {
      String row;
      if (invalid.rowId() != null) {
        row = "row with id " + invalid.rowId();
      } else {
        int partition = invalid.partition();
        long before = input.queryExecution().toRdd().toJavaRDD()
            .mapPartitionsWithIndex((p, rows) -> {
              long n = 0;
              if (p < partition) {
                while (rows.hasNext()) {
                  rows.next();
                  n++;
                }
              }
              return Collections.singletonList(n).iterator();
            }, false)
            .reduce(Long::sum);
        row = "row " + (before + invalid.indexInPartition());
      }
      return "column '" + invalid.column() + "', " + row + ": " + invalid.rule();
    }
    IllegalArgumentException argument = find(failure, IllegalArgumentException.class);
    Throwable cause = argument != null ? argument : failure;
    String message = cause.getMessage();
    return message == null ? cause.getClass().getName() : message.strip().split("\n")[0];
  }

  private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }
}
