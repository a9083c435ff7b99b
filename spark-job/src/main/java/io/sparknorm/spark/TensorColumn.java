package io.sparknorm.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Where a row's tensor is and how to read it as one primitive array: an array column of float,
 * double, int, long, short or byte; a Spark ML vector column, dense or sparse; or scalar numeric
 * columns assembled in order; or the struct of Spark's image source (its 8-bit pixels, stored height x
 * width x channels, become a float tensor of shape (channels, height, width), channels in the
 * source's BGR order). Reads straight from Spark's internal rows, with no per-element boxing.
 *
 * <p>Element types follow the contract: double input gives double output, float, integer and byte
 * input give float output (vectors are double and stay vectors). Statistics are always in double.
 */
public final class TensorColumn implements Serializable {
  private static final long serialVersionUID = 1L;

  private enum Kind { ARRAY, VECTOR, SCALARS, IMAGE, TEXT }

  private final Kind kind;
  private final String name;
  private final int[] ordinals;
  /** Element type of an array column, or the type of each scalar column. */
  private final DataType[] elementTypes;
  private final boolean containsNull;
  private final boolean doublePrecision;

  private TensorColumn(Kind kind, String name, int[] ordinals, DataType[] elementTypes, boolean containsNull,
      boolean doublePrecision) {
    this.kind = kind;
    this.name = name;
    this.ordinals = ordinals;
    this.elementTypes = elementTypes;
    this.containsNull = containsNull;
    this.doublePrecision = doublePrecision;
  }

  /**
   * The tensor in one column of the schema.
   *
   * @throws IllegalArgumentException when the column is missing or of another type, naming the
   *     columns there are or the type found
   */
  public static TensorColumn of(StructType schema, String column) {
    StructField field = field(schema, column);
    int ordinal = schema.fieldIndex(field.name());
    DataType type = field.dataType();
    if (type.equals(SQLDataTypes.VectorType())) {
      return new TensorColumn(Kind.VECTOR, field.name(), new int[] {ordinal}, new DataType[] {DataTypes.DoubleType},
          false, true);
    }
    if (type.equals(DataTypes.StringType)) {
      // CSV holds no arrays: a string tensor column holds JSON array text such as [1.5,2,-3].
      return new TensorColumn(Kind.TEXT, field.name(), new int[] {ordinal}, new DataType[] {DataTypes.DoubleType},
          false, true);
    }
    if (isImage(type)) {
      return new TensorColumn(Kind.IMAGE, field.name(), new int[] {ordinal}, new DataType[] {DataTypes.ByteType},
          false, false);
    }
    if (type instanceof ArrayType array && isNumeric(array.elementType()) && !(array.elementType() instanceof DecimalType)) {
      DataType element = array.elementType();
      return new TensorColumn(Kind.ARRAY, field.name(), new int[] {ordinal}, new DataType[] {element},
          array.containsNull(), element.equals(DataTypes.DoubleType));
    }
    throw new IllegalArgumentException("column '" + field.name() + "' is of type " + type.simpleString()
        + "; the tensor column must be an array of float, double, int, long, short or byte, or a Spark ML vector"
        + " (for scalar columns use --input-cols)");
  }

  /**
   * The tensor assembled from scalar numeric columns, in the given order.
   *
   * @throws IllegalArgumentException when a column is missing, repeated or not numeric
   */
  public static TensorColumn ofScalars(StructType schema, List<String> columns) {
    if (columns.isEmpty()) {
      throw new IllegalArgumentException("input-cols: name at least one column");
    }
    int[] ordinals = new int[columns.size()];
    DataType[] types = new DataType[columns.size()];
    boolean anyDouble = false;
    List<String> seen = new ArrayList<>();
    for (int i = 0; i < columns.size(); i++) {
      StructField field = field(schema, columns.get(i));
      if (seen.contains(field.name())) {
        throw new IllegalArgumentException("input-cols names column '" + field.name() + "' twice");
      }
      seen.add(field.name());
      if (!isNumeric(field.dataType())) {
        throw new IllegalArgumentException("column '" + field.name() + "' is of type " + field.dataType().simpleString()
            + "; every column of --input-cols must be numeric");
      }
      ordinals[i] = schema.fieldIndex(field.name());
      types[i] = field.dataType();
      anyDouble |= field.dataType().equals(DataTypes.DoubleType) || field.dataType() instanceof DecimalType;
    }
    return new TensorColumn(Kind.SCALARS, String.join(",", seen), ordinals, types, true, anyDouble);
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

  /** The struct of Spark's image data source: origin, height, width, nChannels, mode, data. */
  private static boolean isImage(DataType type) {
    return type instanceof StructType struct && struct.size() == 6
        && Arrays.equals(struct.fieldNames(), new String[] {"origin", "height", "width", "nChannels", "mode", "data"});
  }

  private static boolean isNumeric(DataType t) {
    return t.equals(DataTypes.DoubleType) || t.equals(DataTypes.FloatType) || t.equals(DataTypes.IntegerType)
        || t.equals(DataTypes.LongType) || t.equals(DataTypes.ShortType) || t.equals(DataTypes.ByteType)
        || t instanceof DecimalType;
  }

  /** The column name, or the comma-separated names of assembled scalar columns. */
  public String name() {
    return name;
  }

  /** True when the tensor is read (and written) as double[], false for float[]. */
  public boolean isDouble() {
    return doublePrecision;
  }

  /** True when the tensor is one column (array or vector) that the output may replace. */
  public boolean isSingleColumn() {
    return kind != Kind.SCALARS;
  }

  /** The input column ordinals the tensor is read from. */
  int[] ordinals() {
    return ordinals.clone();
  }

  /** The Spark type of the normalized column. */
  public DataType outputType() {
    if (kind == Kind.VECTOR) {
      return SQLDataTypes.VectorType();
    }
    return DataTypes.createArrayType(doublePrecision ? DataTypes.DoubleType : DataTypes.FloatType, false);
  }

  /**
   * Reads the tensor of one row as a new {@code double[]} (when {@link #isDouble()}) or
   * {@code float[]}; null when the tensor is null.
   *
   * @throws InvalidValueException when an element is null
   */
  Object read(InternalRow row) {
    switch (kind) {
      case ARRAY: {
        if (row.isNullAt(ordinals[0])) {
          return null;
        }
        ArrayData array = row.getArray(ordinals[0]);
        if (containsNull) {
          for (int i = 0, n = array.numElements(); i < n; i++) {
            if (array.isNullAt(i)) {
              throw new InvalidValueException("null value at index " + i);
            }
          }
        }
        return readArray(array, elementTypes[0]);
      }
      case VECTOR:
        return row.isNullAt(ordinals[0]) ? null : readVector(row.getStruct(ordinals[0], 4));
      case IMAGE:
        return row.isNullAt(ordinals[0]) ? null : readImage(row.getStruct(ordinals[0], 6));
      case TEXT:
        return row.isNullAt(ordinals[0]) ? null : parseJsonArray(row.getUTF8String(ordinals[0]).toString());
      default:
        return readScalars(row);
    }
  }

  private Object readArray(ArrayData array, DataType element) {
    if (element.equals(DataTypes.DoubleType)) {
      return array.toDoubleArray();
    }
    if (element.equals(DataTypes.FloatType)) {
      return array.toFloatArray();
    }
    int n = array.numElements();
    float[] values = new float[n];
    if (element.equals(DataTypes.IntegerType)) {
      for (int i = 0; i < n; i++) {
        values[i] = array.getInt(i);
      }
    } else if (element.equals(DataTypes.LongType)) {
      for (int i = 0; i < n; i++) {
        values[i] = array.getLong(i);
      }
    } else if (element.equals(DataTypes.ShortType)) {
      for (int i = 0; i < n; i++) {
        values[i] = array.getShort(i);
      }
    } else {
      for (int i = 0; i < n; i++) {
        values[i] = array.getByte(i);
      }
    }
    return values;
  }

  /** Spark ML's vector struct: type (0 sparse, 1 dense), size, indices, values. */
  private static double[] readVector(InternalRow vector) {
    double[] values = vector.getArray(3).toDoubleArray();
    if (vector.getByte(0) == 1) {
      return values;
    }
    double[] dense = new double[vector.getInt(1)];
    int[] indices = vector.getArray(2).toIntArray();
    for (int i = 0; i < indices.length; i++) {
      dense[indices[i]] = values[i];
    }
    return dense;
  }

  /**
   * Parses JSON array text of numbers, as the job writes tensors to CSV: {@code [0.5,-1.25,3]}.
   *
   * @throws InvalidValueException naming the text when it is anything else
   */
  static double[] parseJsonArray(String text) {
    String body = text.strip();
    if (body.length() < 2 || body.charAt(0) != '[' || body.charAt(body.length() - 1) != ']') {
      throw new InvalidValueException("value " + quote(text) + " is not a JSON array of numbers");
    }
    body = body.substring(1, body.length() - 1).strip();
    if (body.isEmpty()) {
      return new double[0];
    }
    String[] parts = body.split(",", -1);
    double[] values = new double[parts.length];
    for (int i = 0; i < parts.length; i++) {
      String part = parts[i].strip();
      try {
        if (part.isEmpty() || !(Character.isDigit(part.charAt(part.length() - 1)) || part.equals("NaN")
            || part.endsWith("Infinity"))) {
          throw new NumberFormatException();
        }
        values[i] = Double.parseDouble(part);
      } catch (NumberFormatException e) {
        if (part.equals("null")) {
          throw new InvalidValueException("null value at index " + i);
        }
        throw new InvalidValueException("value " + quote(text) + " is not a JSON array of numbers (element " + i
            + " is " + quote(part) + ")");
      }
    }
    return values;
  }

  private static String quote(String text) {
    return "'" + (text.length() > 60 ? text.substring(0, 57) + "..." : text) + "'";
  }

  /** Pixels stored (height, width, channels) as unsigned bytes, returned channels first. */
  private static float[] readImage(InternalRow image) {
    int height = image.getInt(1);
    int width = image.getInt(2);
    int channels = image.getInt(3);
    byte[] data = image.getBinary(5);
    int plane = height * width;
    if (data == null || data.length != plane * channels) {
      return new float[0];
    }
    float[] values = new float[data.length];
    for (int p = 0, i = 0; p < plane; p++) {
      for (int c = 0; c < channels; c++, i++) {
        values[c * plane + p] = data[i] & 0xff;
      }
    }
    return values;
  }

  /**
   * The shape a valid row suggests when none is given: (channels, height, width) for an image, else
   * the contract's (length,).
   */
  int[] naturalShape(InternalRow row, int length) {
    if (kind == Kind.IMAGE) {
      InternalRow image = row.getStruct(ordinals[0], 6);
      return new int[] {image.getInt(3), image.getInt(1), image.getInt(2)};
    }
    return new int[] {length};
  }

  private Object readScalars(InternalRow row) {
    int n = ordinals.length;
    double[] d = doublePrecision ? new double[n] : null;
    float[] f = doublePrecision ? null : new float[n];
    for (int i = 0; i < n; i++) {
      int o = ordinals[i];
      if (row.isNullAt(o)) {
        throw new InvalidValueException("null value at index " + i + " (column '" + name.split(",")[i] + "')");
      }
      DataType t = elementTypes[i];
      double v;
      if (t.equals(DataTypes.DoubleType)) {
        v = row.getDouble(o);
      } else if (t.equals(DataTypes.FloatType)) {
        v = row.getFloat(o);
      } else if (t.equals(DataTypes.IntegerType)) {
        v = row.getInt(o);
      } else if (t.equals(DataTypes.LongType)) {
        v = row.getLong(o);
      } else if (t.equals(DataTypes.ShortType)) {
        v = row.getShort(o);
      } else if (t.equals(DataTypes.ByteType)) {
        v = row.getByte(o);
      } else {
        DecimalType dt = (DecimalType) t;
        v = row.getDecimal(o, dt.precision(), dt.scale()).toDouble();
      }
      if (d != null) {
        d[i] = v;
      } else {
        f[i] = (float) v;
      }
    }
    return d != null ? d : f;
  }

  /** The Spark internal value of a normalized tensor, for {@link #outputType()}. */
  Object toCatalyst(Object tensor) {
    if (kind == Kind.VECTOR) {
      return new GenericInternalRow(new Object[] {(byte) 1, null, null, UnsafeArrayData.fromPrimitiveArray((double[]) tensor)});
    }
    return tensor instanceof double[] ? UnsafeArrayData.fromPrimitiveArray((double[]) tensor)
        : UnsafeArrayData.fromPrimitiveArray((float[]) tensor);
  }

  /** Thrown by {@link #read} for a null element; the caller adds the column and the row. */
  static final class InvalidValueException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InvalidValueException(String rule) {
      super(rule, null, false, false);
    }
  }
}
