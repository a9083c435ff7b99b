package io.sparknorm.spark;

import io.sparknorm.core.NormalizationException;

/**
 * A rule of normalization broken in a column of a DataFrame: the DataFrame API's wording of a
 * {@link NormalizationException} (its cause, whose rule, value and index it carries), naming the
 * column and, where one row broke the rule, that row: {@code column 'features', row 12: value NaN
 * at index 3 is not finite}. The row is its 0-based position in the input's read order, and its id
 * column's value when the spec names one ({@link NormalizeSpec#idCol}).
 */
public final class ColumnException extends NormalizationException {
  private static final long serialVersionUID = 1L;

  private final String column;
  private final boolean ofRow;
  private final Long row;
  private final String idColumn;
  private final String rowId;

  private ColumnException(String column, boolean ofRow, Long row, String idColumn, String rowId,
      NormalizationException rule) {
    super(rule, "column '" + column + "'" + where(ofRow, row, idColumn, rowId) + ": " + rule.getMessage());
    this.column = column;
    this.ofRow = ofRow;
    this.row = row;
    this.idColumn = idColumn;
    this.rowId = rowId;
  }

  private ColumnException(ColumnException original, String message) {
    super(original, message);
    this.column = original.column;
    this.ofRow = original.ofRow;
    this.row = original.row;
    this.idColumn = original.idColumn;
    this.rowId = original.rowId;
  }

  /** A rule the column's arguments or statistics break, before or without any one row. */
  static ColumnException of(String column, NormalizationException rule) {
    return new ColumnException(column, false, null, null, null, rule);
  }

  /** A rule row {@code row} breaks; {@code idColumn}, when not null, names it by its value {@code rowId} there. */
  static ColumnException atRow(String column, long row, String idColumn, String rowId, NormalizationException rule) {
    return new ColumnException(column, true, row, idColumn, rowId, rule);
  }

  /** A rule a row breaks that could not be found again (the input was not at hand). */
  static ColumnException atSomeRow(String column, NormalizationException rule) {
    return new ColumnException(column, true, null, null, null, rule);
  }

  private static String where(boolean ofRow, Long row, String idColumn, String rowId) {
    if (!ofRow) {
      return "";
    }
    if (row == null) {
      return ", a row";
    }
    if (idColumn == null) {
      return ", row " + row;
    }
    return rowId == null ? ", row " + row + " (id null)" : ", row with id " + rowId;
  }

  /** The column, or the columns joined by commas (a tensor of scalar columns, the key columns). */
  public String column() {
    return column;
  }

  /** True when one row broke the rule (else the spec, the arguments or the statistics did). */
  public boolean ofRow() {
    return ofRow;
  }

  /** The row's 0-based position in the input's read order; null when no row broke the rule or it was not found. */
  public Long row() {
    return row;
  }

  /** The column whose value names the row, or null when none was given. */
  public String idColumn() {
    return idColumn;
  }

  /** The row's value in {@link #idColumn()}, as a string; null when there is none or it is null. */
  public String rowId() {
    return rowId;
  }

  @Override
  public ColumnException worded(String message) {
    return new ColumnException(this, message);
  }
}
