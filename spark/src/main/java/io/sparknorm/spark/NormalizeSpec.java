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
  private List<String> by;
  private UnseenKey unseenKey = UnseenKey.ERROR;
  private KeyedStatistics keyedStatistics;
  private double statisticsScale = 1.0;

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

  /**
   * Batch norm per key: statistics for each value of these columns (string, integer or boolean),
   * each row normalized with its key's. Null (the default): one set of statistics for all rows.
   */
  public NormalizeSpec by(List<String> columns) {
    this.by = columns == null || columns.isEmpty() ? null : List.copyOf(columns);
    return this;
  }

  /** Batch norm per key: what a row whose key has no statistics gets (default {@link UnseenKey#ERROR}). */
  public NormalizeSpec unseenKey(UnseenKey unseenKey) {
    this.unseenKey = unseenKey;
    return this;
  }

  /** Batch norm per key in evaluation mode: normalize with these statistics instead of fitting. */
  public NormalizeSpec keyedStatistics(KeyedStatistics statistics) {
    this.keyedStatistics = statistics;
    return this;
  }

  /**
   * Fitted statistics are those of the values divided by this (e.g. 255 for 8-bit pixels scaled to
   * [0, 1]), computed from the exact sums and rounded once. For fitting only; normalizing refuses it.
   */
  public NormalizeSpec statisticsScale(double scale) {
    if (!(scale > 0 && Double.isFinite(scale))) {
      throw new IllegalArgumentException("scale is " + scale + ", must be a finite number > 0");
    }
    this.statisticsScale = scale;
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

  public double statisticsScale() {
    return statisticsScale;
  }

  public List<String> by() {
    return by;
  }

  public UnseenKey unseenKey() {
    return unseenKey;
  }

  public KeyedStatistics keyedStatistics() {
    return keyedStatistics;
  }

  /** A copy writing its result to another column (the input column is then kept). */
  NormalizeSpec copyWithOutputCol(String outputCol) {
    NormalizeSpec copy = new NormalizeSpec(method()).handleInvalid(handleInvalid()).eps(eps()).affine(affine())
        .idCol(idCol()).shape(shape()).groups(groups()).statistics(statistics()).by(by()).unseenKey(unseenKey())
        .keyedStatistics(keyedStatistics()).outputCol(outputCol);
    return inputCols() != null ? copy.inputCols(inputCols()) : copy.inputCol(inputCol());
  }
}
