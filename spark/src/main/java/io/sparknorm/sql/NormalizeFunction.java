package io.sparknorm.sql;

import io.sparknorm.core.Affine;
import io.sparknorm.core.NonFiniteResultException;
import io.sparknorm.core.Normalizer;
import io.sparknorm.core.TensorValueException;
import java.io.Serializable;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.connector.catalog.functions.ScalarFunction;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;

/**
 * One normalization as a Spark SQL scalar function over the tensor in argument 0: layer, instance
 * and group norm, and batch norm with given statistics. The normalizer is built once, when the
 * query is analyzed (every PyTorch rule checked then); per row the tensor is read as one primitive
 * array, checked, normalized in place and written back.
 *
 * <p>An invalid tensor (wrong length, null element, NaN or infinity, or one whose normalized values
 * are not finite: a constant segment with eps 0) fails the query with an
 * {@link InvalidTensorException} that names the function, the argument and the rule, or gives NULL
 * (the {@code try_} functions). A null tensor gives NULL, or counts as invalid when the caller
 * says so (the library's {@code error} mode, where a null tensor is a broken row).
 *
 * <p>Internal: public because Spark's generated code calls {@code invoke}, and for
 * {@code io.sparknorm.spark}, which builds it; not part of the API.
 */
public final class NormalizeFunction implements ScalarFunction<Object>, Serializable {
  private static final long serialVersionUID = 1L;

  /** Where the normalizer of a row comes from: fixed at analysis, or from a statistics argument. */
  public interface NormalizerSource extends Serializable {
    /**
     * The normalizer for a tensor of this length; null when it reads statistics and the row's are
     * null (the result is then null).
     *
     * @param statistics the row's statistics struct (argument 1) when {@link #readsStatistics()}
     * @throws TensorValueException when the tensor cannot fit it
     */
    Normalizer forRow(InternalRow statistics, int length);

    /** True when argument 1 is a statistics struct read row by row. */
    default boolean readsStatistics() {
      return false;
    }

    static NormalizerSource fixed(Normalizer normalizer) {
      return (statistics, length) -> normalizer;
    }

    /** Batch norm with the statistics struct of argument 1 (of {@code type}), row by row. */
    static NormalizerSource perRowStatistics(StructType type, double eps, Affine affine) {
      return new StatisticsArgument(type, eps, affine);
    }
  }

  private final String name;
  private final DataType[] inputTypes;
  private final String argument;
  private final TensorReader reader;
  private final NormalizerSource source;
  private final boolean failOnInvalid;
  private final boolean nullIsInvalid;
  private final Serializable context;

  /**
   * @param name the SQL name, for plans and messages
   * @param inputTypes the types of every argument; argument 0 is the tensor, the others are read
   *     by {@code source} or were constants used when it was built
   * @param argument how the tensor argument reads in messages (its SQL text)
   * @param failOnInvalid fail the query on an invalid tensor, else return NULL
   * @param nullIsInvalid treat a null tensor as invalid, else return NULL for it
   * @param context carried by the {@link InvalidTensorException}, or null
   */
  public NormalizeFunction(String name, DataType[] inputTypes, String argument, TensorReader reader,
      NormalizerSource source, boolean failOnInvalid, boolean nullIsInvalid, Serializable context) {
    this.name = name;
    this.inputTypes = inputTypes.clone();
    this.argument = argument;
    this.reader = reader;
    this.source = source;
    this.failOnInvalid = failOnInvalid;
    this.nullIsInvalid = nullIsInvalid;
    this.context = context;
  }

  /** The normalized tensor for a row whose only per-row argument is the tensor (Spark's generated code calls this). */
  public Object invoke(Object tensor) {
    return normalize(tensor, null);
  }

  /** The normalized tensor for a row whose statistics struct is argument 1 (a column or a subquery). */
  public Object invoke(Object tensor, Object statistics) {
    return normalize(tensor, (InternalRow) statistics);
  }

  /** How many leading arguments the function reads per row (through {@code invoke}): 1 or 2. */
  int perRowArguments() {
    return source.readsStatistics() ? 2 : 1;
  }

  private Object normalize(Object tensor, InternalRow statistics) {
    if (tensor == null) {
      return nullIsInvalid ? invalid(TensorValues.nullTensor()) : null;
    }
    Object values;
    Normalizer normalizer;
    try {
      values = reader.read(tensor);
      normalizer = source.forRow(statistics, TensorValues.length(values));
    } catch (TensorValueException e) {
      return invalid(e);
    }
    if (normalizer == null) {
      return null;
    }
    TensorValueException problem = TensorValues.problem(values, normalizer.shape());
    if (problem != null) {
      return invalid(problem);
    }
    try {
      if (values instanceof double[] d) {
        normalizer.normalize(d, d);
      } else if (values instanceof float[] f) {
        normalizer.normalize(f, f);
      } else {
        double[] d = new double[TensorValues.length(values)];
        normalizer.normalize((long[]) values, d);
        values = d;
      }
    } catch (NonFiniteResultException e) {
      return invalid(e); // a constant segment with eps 0: never NaN written silently
    }
    return reader.toCatalyst(values);
  }

  private Object invalid(TensorValueException rule) {
    if (failOnInvalid) {
      throw new InvalidTensorException(name, argument, rule, context);
    }
    return null;
  }

  @Override
  public DataType[] inputTypes() {
    return inputTypes.clone();
  }

  @Override
  public DataType resultType() {
    return reader.outputType();
  }

  @Override
  public boolean isResultNullable() {
    return true;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String canonicalName() {
    return "sparknorm." + name;
  }

  /** How the function reads in Spark's plans: {@code sparknorm.<name>}. */
  @Override
  public String toString() {
    return canonicalName();
  }
}
