package io.sparknorm.sql;

import io.sparknorm.core.Affine;
import io.sparknorm.core.ArgumentException;
import io.sparknorm.core.ArgumentException.Argument;
import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.NormalizationException;
import io.sparknorm.core.Normalizers;
import io.sparknorm.core.Shape;
import io.sparknorm.core.TensorValueException;
import java.util.List;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.Decimal;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * The arguments of one SQL function call, read when the query is analyzed: the tensor's type, and
 * the constant arguments (shape, groups, eps, weight, bias, statistics) evaluated once. Every
 * error names the function, the argument and the rule, before any data is read: a rule of
 * normalization as the {@link NormalizationException} the core threw, worded for SQL.
 */
final class Arguments {
  private final String function;
  private final List<Expression> args;

  Arguments(String function, List<Expression> args, int min, int max, String usage) {
    this.function = function;
    this.args = args;
    if (args.size() < min || args.size() > max) {
      throw new IllegalArgumentException(function + " takes " + (min == max ? String.valueOf(min) : min + " to " + max)
          + " arguments, got " + args.size() + ": " + usage.replace("_FUNC_", function));
    }
  }

  int size() {
    return args.size();
  }

  boolean has(int i) {
    return i < args.size();
  }

  Expression get(int i) {
    return args.get(i);
  }

  DataType[] types() {
    DataType[] types = new DataType[args.size()];
    for (int i = 0; i < types.length; i++) {
      types[i] = args.get(i).dataType();
    }
    return types;
  }

  /** A rule of calling the function broken by argument i (its type, a constant, NULL), in the SQL's words. */
  IllegalArgumentException error(int i, String name, String rule) {
    return new IllegalArgumentException(where(i, name) + rule);
  }

  /** A rule of normalization broken by argument i, in the SQL's words: the same type and fields. */
  NormalizationException error(int i, String name, NormalizationException rule) {
    return rule.worded(where(i, name) + rule.getMessage());
  }

  private String where(int i, String name) {
    return function + ": argument " + (i + 1) + " (" + name + ") ";
  }

  /** The reader of the tensor in argument 0. */
  TensorReader tensor() {
    TensorReader reader = TensorReader.forType(args.get(0).dataType());
    if (reader == null) {
      throw error(0, "tensor", "is of type " + args.get(0).dataType().simpleString()
          + "; it must be an array of float, double, int, long, short, byte or decimal, or a Spark ML vector"
          + " (or JSON array text in a string)");
    }
    return reader;
  }

  /** The SQL text of argument 0, for messages about its values. */
  String tensorSql() {
    return args.get(0).sql();
  }

  /** The value of a constant argument; null for a NULL literal. */
  private Object constant(int i, String name) {
    Expression e = args.get(i);
    if (!e.foldable()) {
      throw error(i, name, "must be a constant, got " + e.sql());
    }
    return e.eval(null);
  }

  /** A shape: a string such as '3,32,32', or an array of ints. */
  Shape shape(int i) {
    Object value = constant(i, "shape");
    DataType type = args.get(i).dataType();
    try {
      if (value instanceof UTF8String text) {
        return Shape.parse(text.toString());
      }
      if (value instanceof ArrayData array && type instanceof ArrayType a && isWhole(a.elementType())) {
        int[] dims = new int[array.numElements()];
        for (int k = 0; k < dims.length; k++) {
          if (array.isNullAt(k)) {
            throw error(i, "shape", "has a null dimension at index " + k);
          }
          DataType e = a.elementType();
          long dim = e.equals(DataTypes.IntegerType) ? array.getInt(k) : e.equals(DataTypes.LongType) ? array.getLong(k)
              : e.equals(DataTypes.ShortType) ? array.getShort(k) : array.getByte(k);
          if (dim > Integer.MAX_VALUE) {
            throw error(i, "shape", "dimension " + k + " is " + dim + ", too large");
          }
          dims[k] = (int) dim;
        }
        return Shape.of(dims);
      }
    } catch (NormalizationException e) {
      throw error(i, "shape", e);
    }
    throw error(i, "shape", value == null ? "is null" : "is of type " + type.simpleString()
        + "; give a string such as '3,32,32' or an array of ints");
  }

  private static boolean isWhole(DataType t) {
    return t.equals(DataTypes.IntegerType) || t.equals(DataTypes.LongType) || t.equals(DataTypes.ShortType)
        || t.equals(DataTypes.ByteType);
  }

  /** eps, or PyTorch's default when the argument is absent or NULL. */
  double eps(int i) {
    if (!has(i)) {
      return Normalizers.DEFAULT_EPS;
    }
    Object value = constant(i, "eps");
    if (value == null) {
      return Normalizers.DEFAULT_EPS;
    }
    double eps = number(i, "eps", value);
    try {
      Normalizers.checkEps(eps);
    } catch (NormalizationException e) {
      throw error(i, "eps", e);
    }
    return eps;
  }

  int groups(int i) {
    Object value = constant(i, "groups");
    if (value == null || !isWhole(args.get(i).dataType())) {
      throw error(i, "groups", value == null ? "is null" : "is of type " + args.get(i).dataType().simpleString()
          + "; it must be a whole number");
    }
    return (int) number(i, "groups", value);
  }

  private double number(int i, String name, Object value) {
    if (value instanceof Number n) {
      return n.doubleValue();
    }
    if (value instanceof Decimal d) {
      return d.toDouble();
    }
    throw error(i, name, "is of type " + args.get(i).dataType().simpleString() + "; it must be a number");
  }

  /** Weight at {@code i} and bias at {@code i + 1}; either absent or NULL means none (1 and 0). */
  Affine affine(int i) {
    double[] weight = has(i) ? doubles(i, "weight") : null;
    double[] bias = has(i + 1) ? doubles(i + 1, "bias") : null;
    try {
      return Affine.of(weight, bias);
    } catch (ArgumentException e) {
      // Named by the array the rule is about: a bias value is argument i + 1's.
      boolean ofBias = e.argument() == Argument.BIAS;
      throw error(ofBias ? i + 1 : i, ofBias ? "bias" : "weight", e);
    }
  }

  /** A constant array of numbers as double[], null for NULL. */
  double[] doubles(int i, String name) {
    Object value = constant(i, name);
    if (value == null) {
      return null;
    }
    DataType type = args.get(i).dataType();
    if (!(type instanceof ArrayType a) || !TensorReader.isNumeric(a.elementType())) {
      throw error(i, name, "is of type " + type.simpleString() + "; it must be an array of numbers");
    }
    try {
      return TensorReader.readDoubles((ArrayData) value, type);
    } catch (TensorValueException e) {
      throw error(i, name, e);
    }
  }

  /** True when argument {@code i} is a struct of statistics (else: the mean array, var next). */
  boolean isStatisticsStruct(int i) {
    return args.get(i).dataType() instanceof StructType;
  }

  /** Checks that argument {@code i} can hold statistics; its values are read per row when not constant. */
  StructType statisticsType(int i) {
    String problem = StatisticsStruct.problem(args.get(i).dataType());
    if (problem != null) {
      throw error(i, "stats", problem);
    }
    return (StructType) args.get(i).dataType();
  }

  /** Constant statistics at {@code i}, or null when the argument is not constant. */
  BatchStatistics constantStatistics(int i) {
    StructType type = statisticsType(i);
    if (!args.get(i).foldable()) {
      return null;
    }
    Object value = args.get(i).eval(null);
    if (value == null) {
      throw error(i, "stats", "is null");
    }
    try {
      return StatisticsStruct.fromRow((InternalRow) value, type);
    } catch (NormalizationException e) {
      throw error(i, "stats", e);
    }
  }

  /** Statistics from a constant mean array at {@code i} and var array at {@code i + 1}. */
  BatchStatistics meanAndVar(int i) {
    double[] mean = doubles(i, "mean");
    double[] variance = doubles(i + 1, "var");
    if (mean == null || variance == null) {
      throw error(mean == null ? i : i + 1, mean == null ? "mean" : "var", "is null");
    }
    if (mean.length == 0 || mean.length != variance.length) {
      throw error(i + 1, "var", "has " + variance.length + " values, the mean " + mean.length
          + "; they need one per channel");
    }
    double[] unknown = new double[mean.length];
    java.util.Arrays.fill(unknown, Double.NaN);
    try {
      return new BatchStatistics(Shape.of(mean.length), 0, mean, variance, unknown);
    } catch (ArgumentException e) {
      // Named by the array the rule is about: a variance is argument i + 1's.
      boolean ofVar = e.argument() == Argument.VAR;
      throw error(ofVar ? i + 1 : i, ofVar ? "var" : "mean", e);
    }
  }
}
