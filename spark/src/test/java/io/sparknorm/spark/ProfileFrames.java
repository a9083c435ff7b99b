package io.sparknorm.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The covariate-shift tests' data: {@value #ROWS} rows of a key ({@code site} a or b), an id and a tensor {@code x}
 * of shape (3,): channel 0 normal (mean 0, sd 1), channel 1 uniform on [10, 20], channel 2 two modes (around -5 and
 * +5). Few enough values per channel (at most {@value #ROWS}) for each KLL sketch to hold every value, so sketches,
 * modes and profiles are the same every run. A planted shift multiplies one channel's values by a factor.
 */
public final class ProfileFrames {
  /** Rows of the frame. */
  public static final int ROWS = 150;
  /** The tensor's shape. */
  public static final String SHAPE = "3";

  private static final StructType SCHEMA = new StructType()
      .add("id", DataTypes.LongType)
      .add("site", DataTypes.StringType)
      .add("x", DataTypes.createArrayType(DataTypes.DoubleType));

  private ProfileFrames() {}

  /** The values of row {@code id}, channel {@code scaled} multiplied by {@code factor} (-1: none). */
  public static double[] values(long id, int scaled, double factor) {
    Random random = new Random(1000 + id);
    double[] x = {random.nextGaussian(), 10 + 10 * random.nextDouble(),
        (id % 2 == 0 ? -5 : 5) + 0.5 * random.nextGaussian()};
    if (scaled >= 0) {
      x[scaled] *= factor;
    }
    return x;
  }

  /** The frame, without a shift. */
  public static Dataset<Row> frame(SparkSession spark) {
    return frame(spark, -1, 1);
  }

  /** The frame with channel {@code scaled}'s values multiplied by {@code factor}. */
  public static Dataset<Row> frame(SparkSession spark, int scaled, double factor) {
    List<Row> rows = new ArrayList<>();
    for (long id = 0; id < ROWS; id++) {
      double[] x = values(id, scaled, factor);
      Double[] boxed = {x[0], x[1], x[2]};
      rows.add(RowFactory.create(id, id % 3 == 0 ? "b" : "a", boxed));
    }
    return spark.createDataFrame(rows, SCHEMA);
  }
}
