package io.sparknorm.job;

import io.sparknorm.core.Shape;
import io.sparknorm.spark.NormalizeSpec;
import io.sparknorm.spark.StatisticsFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The running-statistics stream tests' data and queries: Parquet files of (id, features of shape (3, 2)) landing in a
 * folder one by one (increasing modification times), read one file per micro-batch, and the foreachBatch query over
 * them run to the end ({@code available-now}).
 */
final class StreamFiles {
  private StreamFiles() {}

  static final Shape SHAPE = Shape.of(3, 2);
  static final StructType SCHEMA = new StructType().add("id", DataTypes.LongType)
      .add("features", DataTypes.createArrayType(DataTypes.DoubleType));
  private static final long BASE_TIME = System.currentTimeMillis() - 3_600_000;

  /**
   * Writes file number {@code k} of {@code rows} rows (ids from k * 1000) into {@code folder}; the row at
   * {@code nullRow} (or none, -1) has a null tensor. Returns the file.
   */
  static Path write(SparkSession spark, Path folder, int k, int rows, int nullRow) throws IOException {
    Random random = new Random(31 + k);
    List<Row> list = new ArrayList<>();
    for (int r = 0; r < rows; r++) {
      Double[] values = new Double[SHAPE.size()];
      for (int i = 0; i < values.length; i++) {
        int channel = i / 2;
        values[i] = random.nextGaussian() * (channel + 1) + 10 * channel + 0.5 * k;
      }
      list.add(RowFactory.create((long) k * 1000 + r, r == nullRow ? null : values));
    }
    Path scratch = folder.resolveSibling(folder.getFileName() + "-scratch-" + k);
    spark.createDataFrame(list, SCHEMA).coalesce(1).write().parquet(scratch.toString());
    Path part;
    try (Stream<Path> files = Files.list(scratch)) {
      part = files.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
    }
    Files.createDirectories(folder);
    Path file = folder.resolve(String.format("part-%03d.parquet", k));
    Files.move(part, file, StandardCopyOption.REPLACE_EXISTING);
    Files.setLastModifiedTime(file, FileTime.fromMillis(BASE_TIME + k * 1000L));
    try (Stream<Path> rest = Files.walk(scratch)) {
      rest.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    return file;
  }

  /** The job's options for a stream into {@code output} with this checkpoint and momentum (null: none). */
  static JobOptions options(String output, String format, Path checkpoint, Path statsOut, Double momentum) {
    JobOptions options = new JobOptions();
    options.input = "stream";
    options.method = "batch";
    options.output = output;
    options.outputFormat = format;
    options.stream.stream = true;
    options.stream.checkpoint = checkpoint.toString();
    options.statsOut = statsOut == null ? null : statsOut.toString();
    options.momentum = momentum == null ? "none" : momentum.toString();
    options.handleInvalid = "error";
    return options;
  }

  static NormalizeSpec spec() {
    return new NormalizeSpec(io.sparknorm.core.NormMethod.BATCH).shape(SHAPE);
  }

  /** Runs the query over the folder, one file per micro-batch, to the end, with this function. */
  static void run(SparkSession spark, Path input, Path checkpoint, VoidFunction2<Dataset<Row>, Long> function)
      throws Exception {
    StreamingQuery query = spark.readStream().schema(SCHEMA).option("maxFilesPerTrigger", 1)
        .parquet(input.toString()).writeStream().foreachBatch(function)
        .option("checkpointLocation", checkpoint.toString()).trigger(Trigger.AvailableNow()).start();
    try {
      query.awaitTermination();
    } finally {
      query.stop();
    }
  }

  /** Starts the function and runs the query with it; returns the function (its counts). */
  static RunningStatisticsBatches run(SparkSession spark, Path input, JobOptions options, NormalizeSpec spec,
      StatisticsFiles.Contents statsIn) throws Exception {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    RunningStatisticsBatches batches = RunningStatisticsBatches.start(options, spec, statsIn, spark, conf);
    run(spark, input, Path.of(options.stream.checkpoint), batches);
    return batches;
  }

  /** The state the checkpoint holds after batch k. */
  static RunningState state(SparkSession spark, Path checkpoint, long k) throws IOException {
    return new RunningStateStore(checkpoint.toString(), spark.sparkContext().hadoopConfiguration()).read(k);
  }

  /** Rows by id: the tensor's values (null for a null tensor). */
  static Map<Long, double[]> byId(Dataset<Row> frame) {
    Map<Long, double[]> rows = new LinkedHashMap<>();
    for (Row row : frame.orderBy("id").collectAsList()) {
      List<Object> values = row.isNullAt(row.fieldIndex("features")) ? null : row.getList(row.fieldIndex("features"));
      double[] array = values == null ? null : values.stream().mapToDouble(v -> ((Number) v).doubleValue()).toArray();
      if (rows.put(row.getLong(row.fieldIndex("id")), array) != null) {
        throw new AssertionError("id " + row.getAs("id") + " twice");
      }
    }
    return rows;
  }
}
