package io.sparknorm.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.core.ArgumentException;
import io.sparknorm.core.ArgumentException.Argument;
import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.NormMethod;
import io.sparknorm.core.NormalizationException.Rule;
import io.sparknorm.core.Shape;
import io.sparknorm.core.StatisticsException;
import io.sparknorm.core.TensorValueException;
import io.sparknorm.sql.InvalidTensorException;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Errors as fields: the DataFrame API's {@link ColumnException} (column, row, id) and the SQL
 * functions' exceptions carry the core's rule, value and index, so a caller acts on those and no
 * layer reads another's text. The wording itself is pinned by the tests of each layer.
 */
@ExtendWith(LocalSpark.class)
class TypedErrorsTest {
  private static SparkSession spark;

  private static Dataset<Row> frame(Object[]... rows) {
    StructType schema = new StructType().add("id", DataTypes.StringType).add("site", DataTypes.StringType)
        .add("features", DataTypes.createArrayType(DataTypes.DoubleType));
    return spark.createDataFrame(java.util.Arrays.stream(rows).map(RowFactory::create).toList(), schema)
        .coalesce(1);
  }

  private static Object[] row(String id, String site, Double... features) {
    return new Object[] {id, site, features};
  }

  private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }

  @Test
  void aSpecThatBreaksAPyTorchRuleNamesTheColumnAndCarriesTheCoresFields() {
    Dataset<Row> input = frame(row("r0", "a", 1.0, 2.0, 3.0, 4.0, 5.0, 6.0));
    ColumnException e = assertThrows(ColumnException.class, () -> TensorNormalization.outputSchema(input.schema(),
        new NormalizeSpec(NormMethod.GROUP).shape(Shape.of(6)).groups(4)));
    assertEquals("features", e.column());
    assertFalse(e.ofRow());
    assertNull(e.row());
    assertEquals(Rule.GROUPS, e.rule());
    assertEquals("4", e.value());
    assertEquals("groups 4 does not divide the channel count C = 6 of shape (6,)", e.reason());
    assertEquals("column 'features': " + e.reason(), e.getMessage());
    assertEquals(Argument.GROUPS, assertInstanceOf(ArgumentException.class, e.getCause()).argument());
  }

  /** Spark ML's stages check their schema with the DataFrame API: the same exception and fields. */
  @Test
  void mlStagesThrowTheSameColumnException() {
    StructType schema = frame(row("r0", "a", 1.0, 2.0, 3.0)).schema();
    ColumnException e = assertThrows(ColumnException.class, () -> io.sparknorm.ml.TensorBatchNormModel.of(
        new double[] {0, 0}, new double[] {1, 1}).setInputCol("features").setShape("3").transformSchema(schema));
    assertEquals("features", e.column());
    assertEquals(Rule.STATISTICS, e.rule());
    assertEquals("2", e.value());
    assertEquals(Argument.STATISTICS, assertInstanceOf(ArgumentException.class, e.getCause()).argument());
  }

  @Test
  void anInvalidRowIsFoundWithItsPositionItsIdAndTheValue() {
    Dataset<Row> input = frame(row("r0", "a", 1.0, 2.0, 3.0), row("r1", "a", 1.0, Double.NaN, 3.0),
        row("r2", "a", 1.0, 2.0, 4.0));
    Exception failure = assertThrows(Exception.class, () -> TensorNormalization.normalize(input,
        new NormalizeSpec(NormMethod.LAYER).shape(Shape.of(3)).idCol("id")).frame().collectAsList());

    // What the row's task met: the SQL functions' form, which knows the function and the argument, not the row.
    InvalidTensorException met = find(failure, InvalidTensorException.class);
    assertNotNull(met, failure.toString());
    assertEquals("layer_norm", met.function());
    assertEquals("features", met.argument());
    assertEquals(Rule.NOT_FINITE, met.rule());
    assertInstanceOf(TensorValueException.class, met.getCause());

    ColumnException located = TensorNormalization.locateFailure(failure, input);
    assertEquals("features", located.column());
    assertTrue(located.ofRow());
    assertEquals(1L, located.row());
    assertEquals("id", located.idColumn());
    assertEquals("r1", located.rowId());
    assertEquals(Rule.NOT_FINITE, located.rule());
    assertEquals("NaN", located.value());
    assertEquals(1, located.index());
    assertEquals("column 'features', row with id r1: value NaN at index 1 is not finite", located.getMessage());
    assertEquals(located.getMessage(), TensorNormalization.describeFailure(failure, input));
    assertNull(TensorNormalization.locateFailure(new IllegalStateException("not a rule"), input));
  }

  @Test
  void statisticsOfTooFewValuesNameTheColumnAndTheCount() {
    Dataset<Row> input = frame(row("r0", "a", 1.0, 2.0));
    ColumnException e = assertThrows(ColumnException.class, () -> TensorNormalization.fitStatistics(input,
        new NormalizeSpec(NormMethod.BATCH).shape(Shape.of(2))));
    assertEquals("features", e.column());
    assertEquals(Rule.TOO_FEW_VALUES, e.rule());
    assertEquals("1", e.value());
    assertInstanceOf(StatisticsException.class, e.getCause());
  }

  @Test
  void aRowWhoseKeyHasNoStatisticsIsFoundInTheKeyColumn() {
    Dataset<Row> input = frame(row("r0", "a", 1.0), row("r1", "a", 2.0), row("r2", "b", 3.0));
    BatchStatistics a = new BatchStatistics(Shape.of(1), 2, new double[] {1.5}, new double[] {0.25},
        new double[] {0.5});
    KeyedStatistics onlyA = new KeyedStatistics(List.of("site"), List.of(new KeyedStatistics.Entry(List.of("a"), a)),
        null);
    ColumnException e = assertThrows(ColumnException.class, () -> TensorNormalization.normalize(input,
        new NormalizeSpec(NormMethod.BATCH).by(List.of("site")).keyedStatistics(onlyA)));
    assertEquals("site", e.column());
    assertEquals(2L, e.row());
    assertEquals(Rule.UNSEEN_KEY, e.rule());
    assertEquals("site='b'", e.value());
    assertEquals("column 'site', row 2: key site='b' has no statistics (unseen-key global normalizes such rows with"
        + " the statistics over all rows)", e.getMessage());
  }

  @Test
  void sqlWordsTheCoresRuleWithTheFunctionAndTheArgumentTheFieldsSay() {
    for (int argument : new int[] {5, 6}) {
      String nan = "CAST('NaN' AS DOUBLE)";
      String affine = argument == 5 ? "array(1D, " + nan + "), NULL" : "NULL, array(0D, " + nan + ")";
      Exception failure = assertThrows(Exception.class,
          () -> spark.sql("SELECT group_norm(array(1D, 2D), '2', 2, 1e-5, " + affine + ")").collectAsList());
      ArgumentException e = find(failure, ArgumentException.class);
      assertNotNull(e, failure.toString());
      String name = argument == 5 ? "weight" : "bias";
      assertEquals(argument == 5 ? Argument.WEIGHT : Argument.BIAS, e.argument());
      assertEquals(Rule.AFFINE, e.rule());
      assertEquals(1, e.index());
      assertEquals("NaN", e.value());
      assertEquals("affine " + name + "[1] is NaN, must be finite", e.reason());
      assertEquals("group_norm: argument " + argument + " (" + name + ") " + e.reason(), e.getMessage());
    }

    Exception failure = assertThrows(Exception.class, () -> spark.sql("SELECT layer_norm(x, '3') FROM VALUES"
        + " (array(1F, 2F)) AS t(x)").collectAsList());
    InvalidTensorException e = find(failure, InvalidTensorException.class);
    assertNotNull(e, failure.toString());
    assertEquals("t.x", e.argument());
    assertEquals(Rule.LENGTH, e.rule());
    assertEquals("2", e.value());
    assertEquals("layer_norm: tensor argument t.x: " + e.reason() + "; try_layer_norm returns NULL for such a tensor"
        + " instead", e.getMessage());
  }
}
