package io.sparknorm.spark;

import io.sparknorm.sql.TensorReader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Where a frame's tensor is: one column (an array of numbers, a Spark ML vector, JSON array text
 * in a string, the struct of Spark's image source) or scalar numeric columns assembled in order.
 * Resolved against the schema once, before any data is read; gives the tensor as a {@link Column}
 * and the {@link TensorReader} of its type.
 */
final class TensorColumn {
  private final String name;
  private final List<String> columns;
  private final boolean single;
  private final Column column;
  private final TensorReader reader;

  private TensorColumn(String name, List<String> columns, boolean single, Column column, TensorReader reader) {
    this.name = name;
    this.columns = List.copyOf(columns);
    this.single = single;
    this.column = column;
    this.reader = reader;
  }

  /**
   * The tensor in one column of the schema.
   *
   * @throws IllegalArgumentException when the column is missing or of another type, naming the
   *     columns there are or the type found
   */
  static TensorColumn of(StructType schema, String column) {
    StructField field = field(schema, column);
    TensorReader reader = TensorReader.forType(field.dataType());
    if (reader == null) {
      throw new IllegalArgumentException("column '" + field.name() + "' is of type " + field.dataType().simpleString()
          + "; the tensor column must be an array of float, double, int, long, short or byte, or a Spark ML vector"
          + " (for scalar columns use --input-cols)");
    }
    return new TensorColumn(field.name(), List.of(field.name()), true, quoted(field.name()), reader);
  }

  /**
   * The tensor assembled from scalar numeric columns, in the given order, each value as it is:
   * written as double when any of them is double or decimal, else as float (the contract's types).
   * Float and integer columns are assembled as doubles and integer-only ones as longs, which hold
   * them exactly (a float would round integers beyond 2^24).
   *
   * @throws IllegalArgumentException when a column is missing, repeated or not numeric
   */
  static TensorColumn ofScalars(StructType schema, List<String> columns) {
    if (columns.isEmpty()) {
      throw new IllegalArgumentException("input-cols: name at least one column");
    }
    List<String> names = new ArrayList<>();
    boolean anyDouble = false;
    boolean anyFloat = false;
    for (String column : columns) {
      StructField field = field(schema, column);
      if (names.contains(field.name())) {
        throw new IllegalArgumentException("input-cols names column '" + field.name() + "' twice");
      }
      if (!TensorReader.isNumeric(field.dataType())) {
        throw new IllegalArgumentException("column '" + field.name() + "' is of type " + field.dataType().simpleString()
            + "; every column of --input-cols must be numeric");
      }
      names.add(field.name());
      anyDouble |= field.dataType().equals(DataTypes.DoubleType) || field.dataType() instanceof DecimalType;
      anyFloat |= field.dataType().equals(DataTypes.FloatType);
    }
    DataType element = anyDouble || anyFloat ? DataTypes.DoubleType : DataTypes.LongType;
    Column[] cells = names.stream().map(n -> quoted(n).cast(element)).toArray(Column[]::new);
    TensorReader reader = TensorReader.forType(DataTypes.createArrayType(element, true))
        .withElementNames(names.toArray(new String[0]));
    if (!anyDouble) {
      reader = reader.withFloatOutput();
    }
    return new TensorColumn(String.join(",", names), names, false, functions.array(cells), reader);
  }

  /** A column of the schema, matched exactly or else ignoring case (as Spark resolves names). */
  static StructField field(StructType schema, String column) {
    for (StructField f : schema.fields()) {
      if (f.name().equals(column)) {
        return f;
      }
    }
    for (StructField f : schema.fields()) {
      if (f.name().equalsIgnoreCase(column)) {
        return f;
      }
    }
    throw new IllegalArgumentException("column '" + column + "' is not in the input; its columns are "
        + Arrays.toString(schema.fieldNames()));
  }

  /** A reference to a column by its exact name, whatever characters it holds. */
  static Column quoted(String name) {
    return functions.col("`" + name.replace("`", "``") + "`");
  }

  /** The column name, or the comma-separated names of assembled scalar columns. */
  String name() {
    return name;
  }

  /** The input columns the tensor is read from. */
  List<String> columns() {
    return columns;
  }

  /** True when the tensor is one column (array or vector) that the output may replace. */
  boolean isSingleColumn() {
    return single;
  }

  /** The tensor as a column: the input column itself, or the array of the assembled scalars. */
  Column column() {
    return column;
  }

  /** How the tensor's values are read. */
  TensorReader reader() {
    return reader;
  }

  /** True when the normalized tensor is written as double[], false for float[]. */
  boolean isDouble() {
    return reader.isDouble();
  }

  /** The Spark type of the normalized column. */
  DataType outputType() {
    return reader.outputType();
  }
}
