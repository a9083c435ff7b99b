package io.sparknorm.spark;

import io.sparknorm.core.ArgumentException;
import io.sparknorm.core.ArgumentException.Argument;
import io.sparknorm.core.ExactMoments;
import io.sparknorm.core.NormalizationException.Rule;
import io.sparknorm.core.Shape;
import io.sparknorm.core.StatisticsException;
import io.sparknorm.sql.BatchNormStatsFunction;
import io.sparknorm.sql.SqlFunctions;
import io.sparknorm.sql.StatisticsStruct;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.expressions.Literal;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Batch norm with statistics per key ({@link NormalizeSpec#by}), the Spark side of it; its result,
 * the statistics of every key, is a {@link KeyedStatistics}. Fitted in ONE aggregation (partial
 * aggregation per task, then a shuffle of one exact state per key and task, never of rows), and
 * applied through a broadcast join of the small statistics table, so the rows stay where they are.
 *
 * <p>The aggregation returns each key's exact state ({@link ExactMoments}); the driver derives each
 * key's statistics from it and merges all states, exactly, into the statistics over all rows. So a
 * key's statistics are the same bits as fitting that key's rows alone, and the global ones the same
 * bits as fitting without keys.
 */
final class KeyedBatchNorm {
  private static final String KEY = "__sparknorm_key";
  private static final String STATISTICS = "__sparknorm_statistics";
  private static final String TABLE_KEY = "__sparknorm_table_key";
  private static final String SEEN = "__sparknorm_seen";

  private KeyedBatchNorm() {}

  /**
   * The schema's names of the key columns.
   *
   * @throws IllegalArgumentException for a column that is missing, is the tensor, is given twice or
   *     has a type other than string, integer or boolean
   */
  static List<String> resolve(StructType schema, List<String> by, TensorColumn tensor) {
    List<String> names = new ArrayList<>();
    for (String column : by) {
      StructField field;
      try {
        field = TensorColumn.field(schema, column.strip());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("by: " + e.getMessage());
      }
      if (tensor.columns().contains(field.name())) {
        throw new IllegalArgumentException("by: column '" + field.name() + "' is " + (tensor.isSingleColumn()
            ? "the tensor" : "in the tensor") + "; give the key columns");
      }
      DataType type = field.dataType();
      if (!(type instanceof org.apache.spark.sql.types.StringType || type.equals(DataTypes.BooleanType)
          || type.equals(DataTypes.ByteType) || type.equals(DataTypes.ShortType)
          || type.equals(DataTypes.IntegerType) || type.equals(DataTypes.LongType))) {
        throw new IllegalArgumentException("by: column '" + field.name() + "' is of type " + type.simpleString()
            + "; a key column must be a string, an integer or a boolean");
      }
      if (names.contains(field.name())) {
        throw new IllegalArgumentException("by: column '" + field.name() + "' is given twice");
      }
      names.add(field.name());
    }
    if (names.isEmpty()) {
      throw new IllegalArgumentException("by: give at least one key column");
    }
    return List.copyOf(names);
  }

  /**
   * Every key's statistics and the global ones, in one Spark job over the valid rows; with
   * {@code scale} those of the values divided by it (exact, then rounded once).
   *
   * @throws IllegalArgumentException when a key has at most one value per channel (PyTorch's rule),
   *     naming the key, or when no row is valid
   */
  static KeyedStatistics fit(Dataset<Row> input, TensorColumn tensor, List<String> keys, Shape shape,
      boolean failOnInvalid, FailureLocator.Context context, double scale) {
    BatchNormStatsFunction stateFunction = new BatchNormStatsFunction(new DataType[] {tensor.reader().type()},
        tensor.name(), tensor.reader(), shape, failOnInvalid, failOnInvalid, context).states();
    Column stateColumn = Columns.column(SqlFunctions.aggregate(stateFunction, Columns.expressions(tensor.column())));
    List<Row> rows = input.groupBy(keys.stream().map(TensorColumn::quoted).toArray(Column[]::new))
        .agg(stateColumn.as("state"))
        .collectAsList();
    List<KeyedStatistics.Entry> entries = new ArrayList<>();
    ExactMoments all = new ExactMoments(shape);
    KeyedStatistics names = new KeyedStatistics(keys, List.of(), null);
    List<Map.Entry<List<Object>, ExactMoments>> states = new ArrayList<>();
    for (Row row : rows) {
      if (row.isNullAt(keys.size())) {
        continue; // every row of this key is invalid (skip, keep): no statistics, as without keys
      }
      List<Object> key = new ArrayList<>();
      for (int i = 0; i < keys.size(); i++) {
        Object value = row.get(i);
        key.add(value instanceof Number n ? (Object) n.longValue() : value);
      }
      states.add(Map.entry(key, ExactMoments.fromBytes((byte[]) row.get(keys.size()))));
    }
    // In key order, so that of several keys with one value the same one is named every time.
    states.sort(Map.Entry.comparingByKey(KeyedStatistics::compareKeys));
    for (Map.Entry<List<Object>, ExactMoments> state : states) {
      ExactMoments moments = state.getValue();
      all.merge(moments);
      if (moments.count() <= 1) {
        String reason = "batch norm needs more than 1 value per channel, got " + moments.count()
            + " (samples x spatial size) for shape " + shape;
        throw StatisticsException.tooFewValues(moments.count(), reason)
            .worded("key " + names.describe(state.getKey()) + ": " + reason);
      }
      entries.add(new KeyedStatistics.Entry(state.getKey(), StatisticsFit.of(moments, scale)));
    }
    if (all.count() <= 1) {
      throw StatisticsException.tooFewValues(all.count(), "batch norm needs more than 1 value per channel, got "
          + all.count() + (all.count() == 0 ? " (no valid row)" : " (samples x spatial size)") + " for shape " + shape);
    }
    return new KeyedStatistics(keys, entries, StatisticsFit.of(all, scale));
  }

  /**
   * The input with one more column, {@link #statisticsColumn()}: each row's key's statistics (the
   * struct of {@code batch_norm_stats}), or the global ones for a key without any when
   * {@code globalForUnseen}, else null; with {@code failOnUnseen} such a row fails the query naming
   * its key (a stream's rows cannot be searched ahead). The statistics travel as a broadcast table;
   * the input's partitions and row order are kept.
   */
  static Dataset<Row> withStatistics(Dataset<Row> input, KeyedStatistics statistics, boolean globalForUnseen,
      boolean failOnUnseen) {
    Dataset<Row> table = table(input, statistics);
    Column matches = null;
    for (int i = 0; i < statistics.keyColumns().size(); i++) {
      Column match = TensorColumn.quoted(statistics.keyColumns().get(i)).eqNullSafe(table.col(KEY + i));
      matches = matches == null ? match : matches.and(match);
    }
    Dataset<Row> joined = input.join(functions.broadcast(table), matches, "left");
    Column found = joined.col(STATISTICS);
    Column applied = globalForUnseen && statistics.global() != null
        ? functions.coalesce(found, Columns.column(new Literal(StatisticsStruct.toRow(statistics.global()),
            StatisticsStruct.TYPE)))
        : failOnUnseen ? functions.coalesce(found, functions.raise_error(functions.concat(functions.lit("key "),
            described(input, statistics.keyColumns(), i -> TensorColumn.quoted(statistics.keyColumns().get(i))),
            functions.lit(" has no statistics (unseen-key global normalizes such rows with the statistics over all"
                + " rows)"))))
        : found;
    List<Column> columns = new ArrayList<>();
    for (String name : input.columns()) {
      columns.add(TensorColumn.quoted(name));
    }
    columns.add(applied.as(STATISTICS));
    return joined.select(columns.toArray(new Column[0]));
  }

  /** The column {@link #withStatistics} adds. */
  static Column statisticsColumn() {
    return TensorColumn.quoted(STATISTICS);
  }

  /**
   * The first row in read order whose key has no statistics, its problem the key described (such
   * as {@code site='b'}), or null when every key has some. One Spark job that reads the key columns
   * (and the id column) only.
   */
  static FailureLocator.FirstRow firstUnseenKey(Dataset<Row> input, KeyedStatistics statistics, String idCol) {
    List<String> keys = statistics.keyColumns();
    List<Column> selected = new ArrayList<>(List.of(functions.spark_partition_id().as("p"),
        functions.monotonically_increasing_id().as("pos"),
        (idCol == null ? functions.lit(null).cast("string") : TensorColumn.quoted(idCol).cast("string")).as("id")));
    for (int i = 0; i < keys.size(); i++) {
      selected.add(TensorColumn.quoted(keys.get(i)).as(KEY + i));
    }
    Column described = described(input, keys, i -> functions.col(KEY + i));
    Dataset<Row> positioned = input.select(selected.toArray(new Column[0]));
    Dataset<Row> known = table(input, statistics).drop(STATISTICS).withColumn(SEEN, functions.lit(true));
    Column matches = null;
    for (int i = 0; i < keys.size(); i++) {
      known = known.withColumnRenamed(KEY + i, TABLE_KEY + i);
      Column match = functions.col(KEY + i).eqNullSafe(functions.col(TABLE_KEY + i));
      matches = matches == null ? match : matches.and(match);
    }
    Column unseen = functions.when(functions.col(SEEN).isNull(), described);
    Dataset<Row> joined = positioned.join(functions.broadcast(known), matches, "left");
    return FailureLocator.firstInReadOrder(joined.select(functions.col("p"), functions.col("pos"),
        unseen.as("problem"), functions.col("id")));
  }

  /** A key as the statistics describe it ({@code site='b', day=3}), of the key columns' values ({@code value.apply(i)}). */
  private static Column described(Dataset<Row> input, List<String> keys, java.util.function.IntFunction<Column> value) {
    Column described = null;
    for (int i = 0; i < keys.size(); i++) {
      Column v = value.apply(i);
      boolean text = input.schema().apply(keys.get(i)).dataType() instanceof org.apache.spark.sql.types.StringType;
      Column part = functions.concat(functions.lit((i == 0 ? "" : ", ") + keys.get(i) + "="),
          functions.when(v.isNull(), functions.lit("null")).otherwise(
              text ? functions.concat(functions.lit("'"), v, functions.lit("'")) : v.cast("string")));
      described = described == null ? part : functions.concat(described, part);
    }
    return described;
  }

  /** The statistics as a small frame: the key columns (typed as the input's) and the statistics struct. */
  private static Dataset<Row> table(Dataset<Row> input, KeyedStatistics statistics) {
    List<String> keys = statistics.keyColumns();
    List<StructField> fields = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      fields.add(DataTypes.createStructField(KEY + i, input.schema().apply(keys.get(i)).dataType(), true));
    }
    fields.add(DataTypes.createStructField(STATISTICS, StatisticsRows.schema(), false));
    StructType schema = DataTypes.createStructType(fields);
    List<Row> rows = new ArrayList<>();
    for (KeyedStatistics.Entry entry : statistics.entries()) {
      Object[] values = new Object[keys.size() + 1];
      for (int i = 0; i < keys.size(); i++) {
        values[i] = typed(entry.key().get(i), schema.fields()[i].dataType(), statistics, entry.key());
      }
      values[keys.size()] = StatisticsRows.toRow(entry.statistics());
      rows.add(RowFactory.create(values));
    }
    return input.sparkSession().createDataFrame(rows, schema);
  }

  /** A key value as the key column's type holds it. */
  private static Object typed(Object value, DataType type, KeyedStatistics statistics, List<Object> key) {
    if (value == null) {
      return null;
    }
    boolean fits = type instanceof org.apache.spark.sql.types.StringType ? value instanceof String
        : type.equals(DataTypes.BooleanType) ? value instanceof Boolean : value instanceof Long;
    if (!fits) {
      throw new ArgumentException(Rule.STATISTICS, Argument.STATISTICS, statistics.describe(key), -1,
          "the statistics' key " + statistics.describe(key) + " does not fit the column's type " + type.simpleString());
    }
    if (value instanceof Long n) {
      long v = n;
      if (type.equals(DataTypes.IntegerType) && v == (int) v) {
        return (int) v;
      }
      if (type.equals(DataTypes.ShortType) && v == (short) v) {
        return (short) v;
      }
      if (type.equals(DataTypes.ByteType) && v == (byte) v) {
        return (byte) v;
      }
      if (!type.equals(DataTypes.LongType)) {
        throw new ArgumentException(Rule.STATISTICS, Argument.STATISTICS, statistics.describe(key), -1,
            "the statistics' key " + statistics.describe(key) + " is out of the range of the column's type "
            + type.simpleString());
      }
    }
    return value;
  }
}
