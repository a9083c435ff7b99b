package io.sparknorm.spark;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeoutException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Streaming queries for the tests that compare a stream with a batch read of the same files: the input written as
 * small files (one micro-batch each), a query run to its end with {@code Trigger.AvailableNow()} into a sink with a
 * checkpoint, and rows as text that shows every float and double by its bits.
 */
public final class StreamRuns {
  /** id, a key, an event time, the tensor of shape (2, 3) in double and float, and a double tensor with a NaN row. */
  public static final StructType SCHEMA = new StructType()
      .add("id", DataTypes.LongType)
      .add("site", DataTypes.StringType)
      .add("ts", DataTypes.TimestampType)
      .add("x", DataTypes.createArrayType(DataTypes.DoubleType))
      .add("f", DataTypes.createArrayType(DataTypes.FloatType))
      .add("y", DataTypes.createArrayType(DataTypes.DoubleType));
  /** The tensor's shape. */
  public static final String SHAPE = "2,3";
  /** The row whose {@code y} has a NaN (the try_ functions give NULL for it). */
  public static final long INVALID_Y = 5;
  private static final long MINUTE = 60_000L;
  private static final long SECONDS = 120;

  private StreamRuns() {}

  /** Rows {@code from} until {@code to}: site a, b or c by id, event time id minutes after the epoch. */
  public static List<Row> rows(long from, long to, long minutesOffset) {
    List<Row> rows = new ArrayList<>();
    for (long id = from; id < to; id++) {
      Random random = new Random(id);
      Double[] x = new Double[6];
      Float[] f = new Float[6];
      Double[] y = new Double[6];
      for (int i = 0; i < 6; i++) {
        x[i] = random.nextGaussian() * (1 + i) + i;
        f[i] = (float) (random.nextGaussian() * 3 - 1);
        y[i] = id == INVALID_Y && i == 2 ? Double.NaN : x[i] * 0.5;
      }
      rows.add(RowFactory.create(id, new String[] {"a", "b", "c"}[(int) (id % 3)],
          new Timestamp((id + minutesOffset) * MINUTE), x, f, y));
    }
    return rows;
  }

  /** Appends the rows as one file of this format to the folder (a stream reads it as one micro-batch, one at a time). */
  public static void appendFile(SparkSession spark, List<Row> rows, String format, Path folder) {
    spark.createDataFrame(rows, SCHEMA).coalesce(1).write().mode("append").format(format).save(folder.toString());
  }

  /** The folder as a stream of the test schema, one file per micro-batch. */
  public static Dataset<Row> stream(SparkSession spark, String format, Path folder) {
    return spark.readStream().schema(SCHEMA).format(format).option("maxFilesPerTrigger", 1).load(folder.toString());
  }

  /** The folder as a batch read of the test schema. */
  public static Dataset<Row> batch(SparkSession spark, String format, Path folder) {
    return spark.read().schema(SCHEMA).format(format).load(folder.toString());
  }

  /**
   * Runs the stream to its end into a sink of this format at {@code work/out} (checkpoint in {@code work/checkpoint})
   * and reads the sink back with a batch read.
   */
  public static Dataset<Row> runToSink(Dataset<Row> stream, String format, Path work) {
    String out = work.resolve("out").toString();
    StreamingQuery query = stream.writeStream().format(format).outputMode("append")
        .option("checkpointLocation", work.resolve("checkpoint").toString())
        .trigger(Trigger.AvailableNow()).start(out);
    try {
      assertTrue(query.awaitTermination(SECONDS * 1000), "the query ends within " + SECONDS + " s");
    } catch (StreamingQueryException e) {
      throw new AssertionError("the query failed: " + e.getMessage(), e);
    } finally {
      try {
        query.stop();
      } catch (TimeoutException e) {
        fail(e);
      }
    }
    assertTrue(query.lastProgress() != null, "the query ran micro-batches");
    return stream.sparkSession().read().format(format).load(out);
  }

  /** Every row as text, floats and doubles by their bits, sorted. */
  public static List<String> exact(Dataset<Row> frame) {
    List<String> rows = new ArrayList<>();
    for (Row row : frame.collectAsList()) {
      rows.add(exact(row));
    }
    rows.sort(null);
    return rows;
  }

  private static String exact(Object value) {
    if (value instanceof Double d) {
      return "d" + Long.toHexString(Double.doubleToRawLongBits(d));
    }
    if (value instanceof Float f) {
      return "f" + Integer.toHexString(Float.floatToRawIntBits(f));
    }
    if (value instanceof Row row) {
      List<String> fields = new ArrayList<>();
      for (int i = 0; i < row.size(); i++) {
        fields.add(row.schema() == null ? exact(row.get(i)) : row.schema().fieldNames()[i] + "=" + exact(row.get(i)));
      }
      return "(" + String.join(", ", fields) + ")";
    }
    if (value instanceof scala.collection.Seq<?> seq) {
      return exact(CollectionConverters.asJava(seq));
    }
    if (value instanceof List<?> list) {
      List<String> items = new ArrayList<>();
      for (Object item : list) {
        items.add(exact(item));
      }
      return "[" + String.join(", ", items) + "]";
    }
    return String.valueOf(value);
  }
}
