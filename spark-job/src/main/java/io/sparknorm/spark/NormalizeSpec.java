package io.sparknorm.spark;

import io.sparknorm.core.Affine;
import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.NormMethod;
import io.sparknorm.core.Normalizers;
import io.sparknorm.core.Shape;
import java.io.Serializable;
import java.util.List;

/**
 * What to normalize and how: the method, where the tensor is, its shape and the method's
 * parameters. Defaults follow the contract: input column {@code features}, output replacing the
 * input column, eps 1e-5, no affine, {@link HandleInvalid#ERROR}, shape inferred as
 * {@code (length of the first valid row,)}.
 */
public final class NormalizeSpec implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The default tensor column. */
  public static final String DEFAULT_INPUT_COL = "features";

  private final NormMethod method;
  private String inputCol = DEFAULT_INPUT_COL;
  private List<String> inputCols;
  private String outputCol;
  private Shape shape;
  private int groups;
  private double eps = Normalizers.DEFAULT_EPS;
  private Affine affine = Affine.none();
  private HandleInvalid handleInvalid = HandleInvalid.ERROR;
  private String idCol;
  private BatchStatistics statistics;

  public NormalizeSpec(NormMethod method) {
    this.method = method;
  }

  public NormalizeSpec inputCol(String column) {
    this.inputCol = column;
    return this;
  }

  /** Scalar numeric columns assembled into the tensor, in this order, instead of one column. */
  public NormalizeSpec inputCols(List<String> columns) {
    this.inputCols = columns == null ? null : List.copyOf(columns);
    return this;
  }

  /** The normalized column; null (the default) replaces the input column. */
  public NormalizeSpec outputCol(String column) {
    this.outputCol = column;
    return this;
  }

  /** One sample's shape, channels first; null (the default) infers {@code (length,)}. */
  public NormalizeSpec shape(Shape shape) {
    this.shape = shape;
    return this;
  }

  public NormalizeSpec groups(int groups) {
    this.groups = groups;
    return this;
  }

  public NormalizeSpec eps(double eps) {
    Normalizers.checkEps(eps);
    this.eps = eps;
    return this;
  }

  public NormalizeSpec affine(Affine affine) {
    this.affine = affine == null ? Affine.none() : affine;
    return this;
  }

  public NormalizeSpec handleInvalid(HandleInvalid handleInvalid) {
    this.handleInvalid = handleInvalid;
    return this;
  }

  /** A column whose value names a row in error messages, instead of its position. */
  public NormalizeSpec idCol(String column) {
    this.idCol = column;
    return this;
  }

  /** Batch norm in evaluation mode: normalize with these statistics instead of fitting. */
  public NormalizeSpec statistics(BatchStatistics statistics) {
    this.statistics = statistics;
    return this;
  }

  public NormMethod method() {
    return method;
  }

  public String inputCol() {
    return inputCol;
  }

  public List<String> inputCols() {
    return inputCols;
  }

  public String outputCol() {
    return outputCol;
  }

  public Shape shape() {
    return shape;
  }

  public int groups() {
    return groups;
  }

  public double eps() {
    return eps;
  }

  public Affine affine() {
    return affine;
  }

  public HandleInvalid handleInvalid() {
    return handleInvalid;
  }

  public String idCol() {
    return idCol;
  }

  public BatchStatistics statistics() {
    return statistics;
  }
}
