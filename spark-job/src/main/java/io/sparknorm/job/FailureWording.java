package io.sparknorm.job;

import io.sparknorm.core.NormalizationException;
import io.sparknorm.core.NormalizationException.Rule;
import io.sparknorm.core.Shape;
import io.sparknorm.spark.ColumnException;
import io.sparknorm.spark.NormalizeSpec;

/** The job's wording of a failure where it says more than the library's, for the batch job and the stream alike. */
final class FailureWording {
  private FailureWording() {}

  /**
   * The job's own wording of a rule, where it says more than the library: of which column fitted
   * batch statistics overflowed and what to do, and where a shape that a row does not match came
   * from when --stats-in gave it. Null where the library's wording is the job's.
   */
  static String worded(JobOptions options, NormalizationException failure, NormalizeSpec spec, Shape statsInShape) {
    if (failure == null) {
      return null;
    }
    if (failure.rule() == Rule.OVERFLOW) {
      String column = spec.inputCols() != null ? String.join(",", spec.inputCols()) : spec.inputCol();
      return "column '" + column + "': batch norm statistics overflow the range of double (" + failure.reason()
          + "): the exact variance of these values is beyond the largest double (1.8e308); scale the data down";
    }
    if (failure.rule() == Rule.LENGTH && failure instanceof ColumnException && statsInShape != null
        && options.shape == null) {
      // Without --shape the rows are checked against the shape of the --stats-in statistics.
      return failure.getMessage() + "; shape " + statsInShape + " is that of --stats-in file " + options.statsIn;
    }
    return null;
  }

  /** The first rule of normalization in the failure's chain of causes, or null. */
  static NormalizationException find(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof NormalizationException rule) {
        return rule;
      }
    }
    return null;
  }
}
