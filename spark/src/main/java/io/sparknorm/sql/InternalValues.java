package io.sparknorm.sql;

import io.sparknorm.core.NormalizationException.Rule;
import io.sparknorm.core.TensorValueException;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarArray;
import org.apache.spark.unsafe.Platform;

/**
 * Tensors read from Spark's internal data as primitive arrays, never boxed one by one: arrays of
 * numbers, Spark ML's vector struct and the image source's struct. See {@link TensorReader} for
 * what each type is read as.
 */
final class InternalValues {
  /** Integers up to this magnitude are exact in a double. */
  private static final long EXACT_IN_DOUBLE = 1L << 53;

  private InternalValues() {}

  /**
   * An array of numbers of type {@code element}: double[], float[], or long[] for longs beyond 2^53.
   *
   * @param elementNames how element i is named in a message about a null one, or null
   * @throws TensorValueException for a null element
   */
  static Object readArray(ArrayData array, DataType element, String[] elementNames) {
    int n = array.numElements();
    if (!hasNoNull(array, n)) {
      for (int i = 0; i < n; i++) {
        if (array.isNullAt(i)) {
          throw new TensorValueException(Rule.NULL_VALUE, null, i, "null value at index " + i
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
  static double[] readVector(InternalRow vector) {
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
  static float[] readImage(InternalRow image) {
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
}
