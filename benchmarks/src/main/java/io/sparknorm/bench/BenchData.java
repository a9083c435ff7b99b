package io.sparknorm.bench;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The end-to-end benchmarks' data: seeded uniform noise around per-element offsets, an {@code id}
 * and a tensor column {@code features} of doubles or floats, the same rows on every run.
 */
final class BenchData {
  private BenchData() {}

  /**
   * Writes seeded random rows (id, features) to Parquet at path unless the folder is already there
   * (in {@code partitions} files, or 2 per 128 MB when 0); returns its size in bytes.
   */
  static long generate(SparkSession spark, String path, long count, int size, boolean isDouble, int partitions)
      throws Exception {
    Path target = new Path(path);
    FileSystem fs = target.getFileSystem(spark.sparkContext().hadoopConfiguration());
    if (!fs.exists(new Path(target, "_SUCCESS"))) {
      long bytesPerRow = (long) size * (isDouble ? 8 : 4);
      int files = partitions > 0 ? partitions : (int) Math.max(2, 2 * (count * bytesPerRow / (128L << 20)));
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      List<Integer> slices = new ArrayList<>();
      for (int i = 0; i < files; i++) {
        slices.add(i);
      }
      JavaRDD<Row> rowsRdd = jsc.parallelize(slices, files).mapPartitions(randomRows(count, size, isDouble, files));
      StructType schema = new StructType().add("id", DataTypes.LongType)
          .add("features", DataTypes.createArrayType(isDouble ? DataTypes.DoubleType : DataTypes.FloatType, false));
      spark.createDataFrame(rowsRdd, schema).write().mode(SaveMode.Overwrite).parquet(path);
    }
    return fs.getContentSummary(target).getLength();
  }

  /** Slice i of {@code files} of the rows, seeded by the slice: the same data on every run. */
  private static org.apache.spark.api.java.function.FlatMapFunction<Iterator<Integer>, Row> randomRows(long count,
      int size, boolean isDouble, int files) {
    return it -> {
      int slice = it.next();
      long from = count * slice / files;
      long to = count * (slice + 1) / files;
      return new Iterator<Row>() {
        long id = from;
        final SplittableRandom random = new SplittableRandom(slice * 7919L + 17);

        @Override
        public boolean hasNext() {
          return id < to;
        }

        @Override
        public Row next() {
          Object values;
          if (isDouble) {
            double[] d = new double[size];
            for (int i = 0; i < size; i++) {
              d[i] = 3.0 * (i % 7) + (1 + i % 3) * random.nextDouble() - 0.5;
            }
            values = d;
          } else {
            float[] f = new float[size];
            for (int i = 0; i < size; i++) {
              f[i] = (float) (3.0 * (i % 7) + (1 + i % 3) * random.nextDouble() - 0.5);
            }
            values = f;
          }
          return RowFactory.create(id++, values);
        }
      };
    };
  }
}
