package io.sparknorm.sql;

import io.sparknorm.core.TensorValueException;
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

/**
 * Reads one tensor value of a given Spark type as a primitive array and writes a normalized one
 * back; {@link TensorValues} checks it against the contract's validity rules. The types: an array
 * of float, double, int, long, short, byte or decimal; a Spark ML vector (dense or sparse); JSON
 * array text in a string (CSV holds no arrays); the struct of Spark's image source (8-bit pixels
 * stored height x width x channels, read as a float tensor of shape (channels, height, width), BGR
 * order kept).
 *
 * <p>Values are read as what they are, never rounded on the way in: floats as float[]; doubles,
 * decimals (each as its nearest double) and integers as double[], which holds every int exactly;
 * longs as double[] when every value of the tensor is within 2^53 (where doubles are exact), else
 * as long[], which the statistics sum and the normalizers subtract as integers. What is written
 * follows the contract: double[] for double and decimal input (vectors are double and stay
 * vectors), float[] for every other type, each value rounded once from the double computation.
 * Values are read straight from Spark's internal data ({@link InternalValues}), never boxed one by
 * one.
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
  boolean isPlainArray() {
    return kind == Kind.ARRAY && (element.equals(DataTypes.DoubleType) || element.equals(DataTypes.FloatType));
  }

  /** True for the image source's struct, whose natural shape is (channels, height, width). */
  boolean isImage() {
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
   * @throws TensorValueException for a null element or text that is not a JSON array of numbers
   */
  Object read(SpecializedGetters row, int ordinal) {
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
   * @throws TensorValueException for a null element or text that is not a JSON array of numbers
   */
  Object read(Object value) {
    return switch (kind) {
      case ARRAY -> InternalValues.readArray((ArrayData) value, element, elementNames);
      case VECTOR -> InternalValues.readVector((InternalRow) value);
      case IMAGE -> InternalValues.readImage((InternalRow) value);
      case TEXT -> JsonArrayText.parse(value.toString());
    };
  }

  /**
   * A constant or struct field that is an array of numbers (of type {@code arrayType}) as double[].
   *
   * @throws TensorValueException for a null element
   */
  static double[] readDoubles(ArrayData array, DataType arrayType) {
    return TensorValues.toDoubles(forType(arrayType).read(array));
  }

  /**
   * The shape a valid tensor value suggests when none is given: (channels, height, width) for an image,
   * else the contract's (length,).
   */
  int[] naturalShape(Object value, int length) {
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
  Object toCatalyst(Object tensor) {
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

  /**
   * True for Spark ML's vector type, known by its class name so that SQL-only sessions (spark-sql without
   * spark-mllib on the class path) never load an ML class.
   */
  private static boolean isMlVector(DataType type) {
    return type instanceof UserDefinedType<?> udt
        && udt.getClass().getName().equals("org.apache.spark.ml.linalg.VectorUDT");
  }
}
