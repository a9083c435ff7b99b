package io.sparknorm.spark;

import io.sparknorm.core.ChannelSketches;
import io.sparknorm.core.Shape;
import io.sparknorm.sql.ChannelSketchesFunction;
import io.sparknorm.sql.SqlFunctions;
import io.sparknorm.sql.TensorReader;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.types.StructType;

/**
 * Aggregate columns of per-channel sketches ({@link ChannelSketches}, as bytes) for a statistics
 * report: of the spec's input tensor, or of a normalized column. Meant for
 * {@link org.apache.spark.sql.Dataset#observe}, so that a pass the job runs anyway (the statistics
 * pass, the write) computes them.
 */
public final class SketchColumns {
  private SketchColumns() {}

  /**
   * The sketches of the tensor the spec names, read as the normalization reads it: of the valid rows
   * only, the rows the statistics are over, whatever the spec's handleInvalid.
   */
  public static Column ofInput(StructType schema, NormalizeSpec spec, Shape shape) {
    TensorColumn tensor = spec.inputCols() != null ? TensorColumn.ofScalars(schema, spec.inputCols())
        : TensorColumn.of(schema, spec.inputCol());
    return Columns.column(SqlFunctions.aggregate(
        new ChannelSketchesFunction(tensor.reader().type(), tensor.reader(), shape, true),
        Columns.expressions(tensor.column())));
  }

  /** The sketches of a tensor column of the frame (a normalized output): every value written; null adds none. */
  public static Column of(StructType schema, String column, Shape shape) {
    TensorReader reader = TensorReader.forType(TensorColumn.field(schema, column).dataType());
    return Columns.column(SqlFunctions.aggregate(new ChannelSketchesFunction(reader.type(), reader, shape, false),
        Columns.expressions(TensorColumn.quoted(column))));
  }
}
