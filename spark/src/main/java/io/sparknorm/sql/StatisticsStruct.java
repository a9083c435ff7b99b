package io.sparknorm.sql;

import io.sparknorm.core.ArgumentException;
import io.sparknorm.core.ArgumentException.Argument;
import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.NormalizationException;
import io.sparknorm.core.NormalizationException.Rule;
import io.sparknorm.core.Shape;
import java.util.Arrays;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Batch statistics as a SQL struct, what {@code batch_norm_stats} returns and {@code batch_norm}
 * takes: {@code struct<count: bigint, mean: array<double>, var: array<double>, var_unbiased:
 * array<double>, mean_residual: array<double>, shape: array<int>, algorithm: string>}. The first
 * four are the contract's; {@code mean_residual} is what rounding the mean to a double lost (so that
 * a replay is exact on data far from zero), {@code shape} the sample shape fitted and
 * {@code algorithm} what computed them ({@code exact-sums}).
 *
 * <p>{@code batch_norm} reads fields by name and needs only {@code mean} and {@code var} (arrays
 * of any numeric type): a struct built by hand from a PyTorch model's running_mean and running_var
 * works too.
 *
 * <p>Internal: public only for {@code io.sparknorm.spark}, which joins statistics to rows as values
 * of {@link #TYPE}; not part of the API.
 */
public final class StatisticsStruct {
  private StatisticsStruct() {}

  private static final ArrayType DOUBLES = DataTypes.createArrayType(DataTypes.DoubleType, false);

  /** The type {@code batch_norm_stats} returns. */
  public static final StructType TYPE = new StructType()
      .add("count", DataTypes.LongType, false)
      .add("mean", DOUBLES, false)
      .add("var", DOUBLES, false)
      .add("var_unbiased", DOUBLES, false)
      .add("mean_residual", DOUBLES, false)
      .add("shape", DataTypes.createArrayType(DataTypes.IntegerType, false), false)
      .add("algorithm", DataTypes.StringType, true);

  /** The statistics as a value of {@link #TYPE}. */
  public static InternalRow toRow(BatchStatistics statistics) {
    return new GenericInternalRow(new Object[] {
        statistics.count(),
        UnsafeArrayData.fromPrimitiveArray(statistics.mean()),
        UnsafeArrayData.fromPrimitiveArray(statistics.variance()),
        UnsafeArrayData.fromPrimitiveArray(statistics.unbiasedVariance()),
        UnsafeArrayData.fromPrimitiveArray(statistics.meanResidual()),
        UnsafeArrayData.fromPrimitiveArray(statistics.shape().dims()),
        statistics.algorithm() == null ? null : UTF8String.fromString(statistics.algorithm())});
  }

  /** A value of {@link #TYPE} with the count and the shape, and empty arrays: too few values for statistics. */
  static InternalRow countOnly(long count, Shape shape) {
    UnsafeArrayData empty = UnsafeArrayData.fromPrimitiveArray(new double[0]);
    return new GenericInternalRow(new Object[] {count, empty, empty, empty, empty,
        UnsafeArrayData.fromPrimitiveArray(shape.dims()), null});
  }

  /**
   * Checks that a struct type holds statistics: array fields {@code mean} and {@code var} of
   * numbers; {@code mean_residual}, {@code var_unbiased} and {@code shape} are optional.
   *
   * @return null when it does, else what is missing
   */
  static String problem(DataType type) {
    if (!(type instanceof StructType struct)) {
      return "is of type " + type.simpleString() + ", not a struct of statistics (mean, var)";
    }
    for (String required : new String[] {"mean", "var"}) {
      if (!Arrays.asList(struct.fieldNames()).contains(required)) {
        return "has no field '" + required + "'; statistics need the arrays mean and var";
      }
    }
    for (StructField field : struct.fields()) {
      if (Arrays.asList("mean", "var", "var_unbiased", "mean_residual").contains(field.name())
          && !(field.dataType() instanceof ArrayType array && TensorReader.isNumeric(array.elementType()))) {
        return "field '" + field.name() + "' is of type " + field.dataType().simpleString() + ", not an array of numbers";
      }
    }
    return null;
  }

  /**
   * Reads statistics from a struct of a type that {@link #problem} accepts. The shape is the
   * struct's {@code shape} when present, else (C,): statistics of C channels apply to samples of
   * any spatial size.
   *
   * @throws NormalizationException when the arrays' lengths differ or a value breaks a rule
   */
  static BatchStatistics fromRow(InternalRow row, StructType type) {
    double[] mean = doubles(row, type, "mean");
    double[] variance = doubles(row, type, "var");
    double[] unbiased = doubles(row, type, "var_unbiased");
    double[] residual = doubles(row, type, "mean_residual");
    if (mean == null || variance == null) {
      throw new ArgumentException(Rule.STATISTICS, mean == null ? Argument.MEAN : Argument.VAR, null, -1,
          "the statistics' mean or var is null");
    }
    int channels = mean.length;
    if (channels == 0) {
      throw new ArgumentException(Rule.STATISTICS, Argument.MEAN, "0", -1, "the statistics' mean is empty");
    }
    Shape shape = Shape.of(channels);
    int shapeIndex = index(type, "shape");
    if (shapeIndex >= 0 && !row.isNullAt(shapeIndex)
        && type.fields()[shapeIndex].dataType() instanceof ArrayType a && a.elementType().equals(DataTypes.IntegerType)) {
      shape = Shape.of(row.getArray(shapeIndex).toIntArray());
    }
    int countIndex = index(type, "count");
    long count = countIndex >= 0 && !row.isNullAt(countIndex)
        && type.fields()[countIndex].dataType().equals(DataTypes.LongType) ? row.getLong(countIndex) : 0;
    if (unbiased == null) {
      unbiased = new double[channels];
      Arrays.fill(unbiased, Double.NaN);
    }
    int algorithmIndex = index(type, "algorithm");
    String algorithm = algorithmIndex >= 0 && !row.isNullAt(algorithmIndex)
        && type.fields()[algorithmIndex].dataType().equals(DataTypes.StringType)
        ? row.getUTF8String(algorithmIndex).toString() : null;
    return new BatchStatistics(shape, count, mean, residual == null ? new double[channels] : residual, variance, unbiased,
        algorithm);
  }

  private static int index(StructType type, String name) {
    return Arrays.asList(type.fieldNames()).indexOf(name);
  }

  private static double[] doubles(InternalRow row, StructType type, String name) {
    int i = index(type, name);
    if (i < 0 || row.isNullAt(i)) {
      return null;
    }
    return TensorReader.readDoubles(row.getArray(i), type.fields()[i].dataType());
  }
}
