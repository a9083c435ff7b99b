package io.sparknorm.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sparknorm.core.GoldenChecks;
import io.sparknorm.core.GoldenFiles;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** The golden cases as Spark frames (row, features), and the README's tolerances on the results. */
public final class GoldenFrames {
  private GoldenFrames() {}

  /** The case's samples, shuffled, in 3 partitions: float32 cases as array<float>, float64 as array<double>. */
  public static Dataset<Row> frame(SparkSession spark, GoldenFiles.Case c) {
    DataType element = c.isDouble() ? DataTypes.DoubleType : DataTypes.FloatType;
    StructType schema = new StructType().add("row", DataTypes.IntegerType)
        .add("features", DataTypes.createArrayType(element));
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < c.input().length; i++) {
      Object[] values = new Object[c.input()[i].length];
      for (int k = 0; k < values.length; k++) {
        values[k] = c.isDouble() ? (Object) c.input()[i][k] : (Object) (float) c.input()[i][k];
      }
      rows.add(RowFactory.create(i, values));
    }
    Collections.shuffle(rows, new Random(c.name().hashCode()));
    return spark.createDataFrame(rows, schema).repartition(3);
  }

  /** A double as a SQL literal that reads back as the same double. */
  static String literal(double value) {
    return String.format(Locale.ROOT, "CAST('%s' AS DOUBLE)", Double.toString(value));
  }

  /** An array of doubles as a SQL literal, or NULL. */
  static String literal(double[] values) {
    if (values == null) {
      return "NULL";
    }
    List<String> parts = new ArrayList<>();
    for (double v : values) {
      parts.add(literal(v));
    }
    return "array(" + String.join(", ", parts) + ")";
  }

  /** Each sample's output against the exact values (float64) or torch's (float32), in the README's tolerance. */
  public static void assertOutputs(GoldenFiles.Case c, List<Row> byRow, int field, String path) {
    assertEquals(c.input().length, byRow.size(), c.name() + " rows");
    for (int s = 0; s < byRow.size(); s++) {
      assertEquals(s, byRow.get(s).getInt(0));
      List<Object> actual = byRow.get(s).getList(field);
      assertEquals(c.input()[s].length, actual.size());
      for (int i = 0; i < actual.size(); i++) {
        Object v = actual.get(i);
        assertEquals(c.isDouble() ? Double.class : Float.class, v.getClass(), "element type");
        double reference = c.exactOutput() != null ? c.exactOutput()[s][i] : c.output()[s][i];
        assertEquals(reference, ((Number) v).doubleValue(), c.tolerance() * Math.max(1, Math.abs(reference)),
            path + " " + c.name() + " sample " + s + " element " + i);
      }
    }
  }

  /** {@link GoldenChecks#assertStatistic} on a statistic as Spark returns it. */
  public static void assertStatistic(double[] torch, double[] exact, List<Double> actual, String what) {
    GoldenChecks.assertStatistic(torch, exact, actual.stream().mapToDouble(Double::doubleValue).toArray(), what);
  }
}
