package io.sparknorm.sql;

import io.sparknorm.core.Shape;
import java.io.Serializable;
import java.util.Arrays;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.SpecializedGetters;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.types.UserDefinedType;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarArray;
import org.apache.spark.unsafe.Platform;

/**
 * Reads one tensor value of a given Spark type as a primitive array, checks it against the
 * contract's validity rules, and writes a normalized one back. The types: an array of float,
 * double, int, long, short, byte or decimal; a Spark ML vector (dense or sparse); JSON array text
 * in a string (CSV holds no arrays); the struct of Spark's image source (8-bit pixels stored height
 * x width x channels, read as a float tensor of shape (channels, height, width), BGR order kept).
 *
 * <p>Values are read as what they are, never rounded on the way in: floats as float[]; doubles,
 * decimals (each as its nearest double) and integers as double[], which holds every int exactly;
 * longs as double[] when every value of the tensor is within 2^53 (where doubles are exact), else
 * as long[], which the statistics sum and the normalizers subtract as integers. What is written
 * follows the contract: double[] for double and decimal input (vectors are double and stay
 * vectors), float[] for every other type, each value rounded once from the double computation.
 * Values are read straight from Spark's internal data, never boxed one by one.
 */
public final class TensorReader implements Serializable {
  private static final long serialVersionUID = 1L;

  private enum Kind { ARRAY, VECTOR, IMAGE, TEXT }

  private final Kind kind;
  private final DataType type;
  private final DataType element;
  private final boolean doublePrecision;
  /** Names of the elements for messages about a null element (assembled scalar columns), or null. */
  private final String[] elementNames;

  private TensorReader(Kind kind, DataType type, DataType element, boolean doublePrecision, String[] elementNames) {
    this.kind = kind;
    this.type = type;
    this.element = element;
    this.doublePrecision = doublePrecision;
    this.elementNames = elementNames;
  }

  /** A reader for values of this type, or null when no tensor can be read from it. */
  public static TensorReader forType(DataType type) {
    if (isMlVector(type)) {
      return new TensorReader(Kind.VECTOR, type, DataTypes.DoubleType, true, null);
    }
    if (type.equals(DataTypes.StringType)) {
      return new TensorReader(Kind.TEXT, type, DataTypes.DoubleType, true, null);
    }
    if (isImage(type)) {
      return new TensorReader(Kind.IMAGE, type, DataTypes.ByteType, false, null);
    }
    if (type instanceof ArrayType array && isNumeric(array.elementType())) {
      DataType e = array.elementType();
      return new TensorReader(Kind.ARRAY, type, e, e.equals(DataTypes.DoubleType) || e instanceof DecimalType, null);
    }
    return null;
  }

  /** This reader, naming element i as {@code names[i]} in messages (a tensor assembled from columns). */
  public TensorReader withElementNames(String[] names) {
    return new TensorReader(kind, type, element, doublePrecision, names.clone());
  }

  /** This reader, writing float[] whatever it reads (a tensor of float and integer columns, read as doubles). */
  public TensorReader withFloatOutput() {
    return new TensorReader(kind, type, element, false, elementNames);
  }

  /** True for the numeric types Spark SQL has, decimal included. */
  public static boolean isNumeric(DataType t) {
    return t.equals(DataTypes.DoubleType) || t.equals(DataTypes.FloatType) || t.equals(DataTypes.IntegerType)
        || t.equals(DataTypes.LongType) || t.equals(DataTypes.ShortType) || t.equals(DataTypes.ByteType)
        || t instanceof DecimalType;
  }

  /** The struct of Spark's image data source: origin, height, width, nChannels, mode, data. */
  private static boolean isImage(DataType type) {
    return type instanceof StructType struct && struct.size() == 6
        && Arrays.equals(struct.fieldNames(), new String[] {"origin", "height", "width", "nChannels", "mode", "data"});
  }

  /** The type read. */
  public DataType type() {
    return type;
  }

  /** True when the normalized tensor is written as double[], false for float[]. */
  public boolean isDouble() {
    return doublePrecision;
  }

  /**
   * True for an array of doubles or floats: its elements are the tensor as read, so a column
   * batch's element vector holds its tensors' values one after another.
   */
  public boolean isPlainArray() {
    return kind == Kind.ARRAY && (element.equals(DataTypes.DoubleType) || element.equals(DataTypes.FloatType));
  }

  /** True for the image source's struct, whose natural shape is (channels, height, width). */
  public boolean isImage() {
    return kind == Kind.IMAGE;
  }

  /** The Spark type of a normalized tensor: a vector for a vector, else array of double or float. */
  public DataType outputType() {
    if (kind == Kind.VECTOR) {
      return type;
    }
    return DataTypes.createArrayType(doublePrecision ? DataTypes.DoubleType : DataTypes.FloatType, false);
  }

  /**
   * The tensor at {@code ordinal} (not null there) as a new {@code double[]}, {@code float[]} or
   * {@code long[]} (see the class comment).
   *
   * @throws InvalidValueException for a null element or text that is not a JSON array of numbers
   */
  public Object read(SpecializedGetters row, int ordinal) {
    return read(switch (kind) {
      case ARRAY -> row.getArray(ordinal);
      case VECTOR -> row.getStruct(ordinal, 4);
      case IMAGE -> row.getStruct(ordinal, 6);
      case TEXT -> row.getUTF8String(ordinal);
    });
  }

  /**
   * A tensor value as Spark holds it internally (not null) as a new {@code double[]}, {@code
   * float[]} or {@code long[]} (see the class comment).
   *
   * @throws InvalidValueException for a null element or text that is not a JSON array of numbers
   */
  public Object read(Object value) {
    return switch (kind) {
      case ARRAY -> readArray((ArrayData) value);
      case VECTOR -> readVector((InternalRow) value);
      case IMAGE -> readImage((InternalRow) value);
      case TEXT -> JsonArrayText.parse(value.toString());
    };
  }

  /**
   * What is wrong with a tensor read by {@link #read}, or null when it is valid: its length is not
   * the shape's (any non-empty length when {@code shape} is null), or a value is NaN or infinite.
   */
  public static String problem(Object values, Shape shape) {
    int length = length(values);
    if (shape != null && length != shape.size()) {
      return "tensor of length " + length + " does not match shape " + shape + " (" + shape.size() + " elements)";
    }
    if (length == 0) {
      return "the tensor is empty";
    }
    if (values instanceof double[] d) {
      int i = firstNonFinite(d);
      return i < 0 ? null : "value " + d[i] + " at index " + i + " is not finite";
    }
    if (values instanceof float[] f) {
      int i = firstNonFinite(f);
      return i < 0 ? null : "value " + f[i] + " at index " + i + " is not finite";
    }
    return null; // integers are finite
  }

  /** The number of values of a tensor read by {@link #read}. */
  public static int length(Object values) {
    return values instanceof double[] d ? d.length : values instanceof float[] f ? f.length : ((long[]) values).length;
  }

  /** The index of the first value that is NaN or infinite, or -1: the rule of {@link #problem} on values. */
  static int firstNonFinite(double[] values) {
    for (int i = 0; i < values.length; i++) {
      if (!Double.isFinite(values[i])) {
        return i;
      }
    }
    return -1;
  }

  /** {@link #firstNonFinite(double[])} for floats. */
  static int firstNonFinite(float[] values) {
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        return i;
      }
    }
    return -1;
  }

  /**
   * A constant or struct field that is an array of numbers (of type {@code arrayType}) as double[].
   *
   * @throws InvalidValueException for a null element
   */
  public static double[] readDoubles(ArrayData array, DataType arrayType) {
    return toDoubles(forType(arrayType).read(array));
  }

  /** A tensor read by {@link #read} as doubles: itself, or each value converted (a long beyond 2^53 rounded). */
  public static double[] toDoubles(Object values) {
    if (values instanceof double[] d) {
      return d;
    }
    double[] d = new double[length(values)];
    if (values instanceof float[] f) {
      for (int i = 0; i < f.length; i++) {
        d[i] = f[i];
      }
    } else {
      long[] l = (long[]) values;
      for (int i = 0; i < l.length; i++) {
        d[i] = l[i];
      }
    }
    return d;
  }

  /** The rule broken by a null tensor. */
  public static final String NULL_TENSOR = "the tensor is null";

  private Object readArray(ArrayData array) {
    int n = array.numElements();
    if (!hasNoNull(array, n)) {
      for (int i = 0; i < n; i++) {
        if (array.isNullAt(i)) {
          throw new InvalidValueException("null value at index " + i
              + (elementNames != null && i < elementNames.length ? " (column '" + elementNames[i] + "')" : ""));
        }
      }
    }
    if (element.equals(DataTypes.DoubleType)) {
      return array.toDoubleArray();
    }
    if (element.equals(DataTypes.FloatType)) {
      return array.toFloatArray();
    }
    if (element instanceof DecimalType decimal) {
      double[] values = new double[n];
      for (int i = 0; i < n; i++) {
        values[i] = array.getDecimal(i, decimal.precision(), decimal.scale()).toDouble();
      }
      return values;
    }
    if (element.equals(DataTypes.LongType)) {
      return readLongs(array, n);
    }
    double[] values = new double[n];
    if (element.equals(DataTypes.IntegerType)) {
      for (int i = 0; i < n; i++) {
        values[i] = array.getInt(i);
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

  /** Longs as doubles where every one is exact in a double (within 2^53), else as themselves. */
  private static Object readLongs(ArrayData array, int n) {
    double[] values = new double[n];
    for (int i = 0; i < n; i++) {
      long v = array.getLong(i);
      if (v > EXACT_IN_DOUBLE || v < -EXACT_IN_DOUBLE) {
        return array.toLongArray();
      }
      values[i] = v;
    }
    return values;
  }

  /** Integers up to this magnitude are exact in a double. */
  private static final long EXACT_IN_DOUBLE = 1L << 53;

  /**
   * True when the array surely holds no null: a binary array's null bits (after its 8-byte count,
   * 64 a word) are all 0, or a column batch's array comes from an element vector without nulls.
   * False means "search": the caller checks each element.
   */
  private static boolean hasNoNull(ArrayData array, int n) {
    if (array instanceof ColumnarArray columnar) {
      ColumnVector elements = ColumnarArrays.elements(columnar);
      return elements != null && !elements.hasNull();
    }
    if (!(array instanceof UnsafeArrayData unsafe)) {
      return false;
    }
    Object base = unsafe.getBaseObject();
    long bits = unsafe.getBaseOffset() + 8;
    for (int word = 0, words = (n + 63) / 64; word < words; word++) {
      if (Platform.getLong(base, bits + 8L * word) != 0) {
        return false;
      }
    }
    return true;
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
   * The shape a valid tensor value suggests when none is given: (channels, height, width) for an image,
   * else the contract's (length,).
   */
  public int[] naturalShape(Object value, int length) {
    if (kind == Kind.IMAGE) {
      InternalRow image = (InternalRow) value;
      return new int[] {image.getInt(3), image.getInt(1), image.getInt(2)};
    }
    return new int[] {length};
  }

  /**
   * The Spark internal value of a normalized tensor (double[] or float[]), of {@link
   * #outputType()}: doubles computed for float output (integer input) are rounded once here.
   */
  public Object toCatalyst(Object tensor) {
    if (kind == Kind.VECTOR) {
      return new GenericInternalRow(new Object[] {(byte) 1, null, null, UnsafeArrayData.fromPrimitiveArray((double[]) tensor)});
    }
    if (tensor instanceof float[] f) {
      return UnsafeArrayData.fromPrimitiveArray(f);
    }
    double[] d = (double[]) tensor;
    if (doublePrecision) {
      return UnsafeArrayData.fromPrimitiveArray(d);
    }
    float[] f = new float[d.length];
    for (int i = 0; i < d.length; i++) {
      f[i] = (float) d[i];
    }
    return UnsafeArrayData.fromPrimitiveArray(f);
  }

  /** A value that is no tensor (a null element, unparseable text); the caller adds where it was. */
  public static final class InvalidValueException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InvalidValueException(String rule) {
      super(rule, null, false, false);
    }
  }

  /**
   * True for Spark ML's vector type, known by its class name so that SQL-only sessions (spark-sql without
   * spark-mllib on the class path) never load an ML class.
   */
  private static boolean isMlVector(DataType type) {
    return type instanceof UserDefinedType<?> udt
        && udt.getClass().getName().equals("org.apache.spark.ml.linalg.VectorUDT");
  }
}
