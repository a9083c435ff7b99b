package io.sparknorm.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.ExactMoments;
import io.sparknorm.core.GoldenChecks;
import io.sparknorm.core.GoldenFiles;
import io.sparknorm.core.NormMethod;
import io.sparknorm.core.Shape;
import io.sparknorm.sql.GoldenFrames;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Batch norm's statistics pass over the scan's columnar batches gives the aggregate's states bit
 * for bit and PyTorch's statistics for every batch golden case, applies the same rules with the
 * same messages, and steps aside for plans without columnar batches.
 */
@ExtendWith(LocalSpark.class)
class ColumnarStatisticsTest {
  private static final Shape SHAPE = Shape.of(3, 2);
  private static SparkSession spark;
  @TempDir static Path dir;

  /** 500 rows of 6 values over many magnitudes, with a few invalid rows when asked, in 3 Parquet files. */
  private static Dataset<Row> parquet(String name, DataType element, boolean withInvalid) {
    Random random = new Random(42);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      Object[] values = new Object[SHAPE.size()];
      for (int j = 0; j < values.length; j++) {
        double x = (random.nextDouble() - 0.3) * Math.pow(10, random.nextInt(12) - 6) + 1e3 * j;
        values[j] = element.equals(DataTypes.FloatType) ? (Object) (float) x : (Object) x;
      }
      if (withInvalid && i == 123) {
        values[4] = null;
      } else if (withInvalid && i == 321) {
        values[1] = element.equals(DataTypes.FloatType) ? (Object) Float.NaN : (Object) Double.NaN;
      }
      rows.add(RowFactory.create(i, withInvalid && i == 77 ? null : values));
    }
    String path = dir.resolve(name).toString();
    spark.createDataFrame(rows, new StructType().add("id", DataTypes.IntegerType)
        .add("features", DataTypes.createArrayType(element))).repartition(3).write().parquet(path);
    return spark.read().parquet(path);
  }

  private static TensorColumn tensor(Dataset<Row> frame) {
    return TensorColumn.of(frame.schema(), "features");
  }

  private static byte[] columnar(Dataset<Row> frame, boolean failOnInvalid) {
    ColumnarStatistics.Pass pass = ColumnarStatistics.read(frame.select("features"),
        StatisticsFit.function(tensor(frame), SHAPE, failOnInvalid, null));
    return pass == null ? null : pass.states();
  }

  private static byte[] aggregated(Dataset<Row> frame, boolean failOnInvalid) {
    return frame.agg(StatisticsFit.statesColumn(tensor(frame), SHAPE, failOnInvalid, null)).first().getAs(0);
  }

  private static void assertSameStatistics(byte[] expected, byte[] actual) {
    BatchStatistics want = ExactMoments.fromBytes(expected).statistics();
    BatchStatistics got = ExactMoments.fromBytes(actual).statistics();
    assertEquals(want.count(), got.count());
    for (int c = 0; c < SHAPE.channels(); c++) {
      assertEquals(Double.doubleToRawLongBits(want.mean()[c]), Double.doubleToRawLongBits(got.mean()[c]), "mean " + c);
      assertEquals(Double.doubleToRawLongBits(want.variance()[c]), Double.doubleToRawLongBits(got.variance()[c]), "var " + c);
      assertEquals(Double.doubleToRawLongBits(want.unbiasedVariance()[c]), Double.doubleToRawLongBits(got.unbiasedVariance()[c]),
          "var_unbiased " + c);
    }
  }

  @Test
  void parquetDoublesAndFloatsGiveTheAggregatesStatesBitForBit() {
    for (DataType element : List.of(DataTypes.DoubleType, DataTypes.FloatType)) {
      Dataset<Row> frame = parquet("valid-" + element.typeName(), element, false);
      byte[] columnar = columnar(frame, true);
      assertNotNull(columnar, element + ": a Parquet scan has columnar batches");
      assertEquals(500L * 2, ExactMoments.fromBytes(columnar).count(), element + ": values per channel");
      assertSameStatistics(aggregated(frame, true), columnar);
    }
  }

  /** Few distinct values: Parquet writes them as dictionary pages, which Spark's reader may hand over undecoded. */
  @Test
  void dictionaryEncodedValuesGiveTheAggregatesStatesBitForBit() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 3_000; i++) {
      Object[] values = new Object[SHAPE.size()];
      for (int j = 0; j < values.length; j++) {
        values[j] = ((i * 7 + j) % 5) * 0.1 + j;
      }
      rows.add(RowFactory.create(i, values));
    }
    String path = dir.resolve("dictionary").toString();
    spark.createDataFrame(rows, new StructType().add("id", DataTypes.IntegerType)
        .add("features", DataTypes.createArrayType(DataTypes.DoubleType))).coalesce(1).write().parquet(path);
    Dataset<Row> frame = spark.read().parquet(path);
    byte[] columnar = columnar(frame, true);
    assertNotNull(columnar, "a Parquet scan has columnar batches");
    assertEquals(3_000L * 2, ExactMoments.fromBytes(columnar).count(), "values per channel");
    assertSameStatistics(aggregated(frame, true), columnar);
    // Channel 0 holds k * 0.1 and k * 0.1 + 1 for k = 0..4, each 600 times: mean 0.7.
    assertEquals(0.7, ExactMoments.fromBytes(columnar).statistics().mean()[0], 1e-15);
  }

  @Test
  void theLibrarysFitOfParquetIsOnePassOverColumnarBatches() throws TimeoutException {
    Dataset<Row> frame = parquet("library", DataTypes.DoubleType, false);
    List<String> callSites = new CopyOnWriteArrayList<>();
    SparkListener listener = new SparkListener() {
      @Override
      public void onJobStart(SparkListenerJobStart job) {
        callSites.add(job.properties().getProperty("callSite.short"));
      }
    };
    spark.sparkContext().addSparkListener(listener);
    try {
      TensorNormalization.fitStatistics(frame, new NormalizeSpec(NormMethod.BATCH).shape(SHAPE));
      // Every event of the fit's jobs has been posted by now; this returns once the listener has seen them all.
      spark.sparkContext().listenerBus().waitUntilEmpty();
    } finally {
      spark.sparkContext().removeSparkListener(listener);
    }
    assertEquals(List.of(ColumnarStatistics.DESCRIPTION), callSites, "the fit's Spark jobs");
  }

  static List<GoldenFiles.Case> batchCases() {
    return GoldenFiles.cases().stream().filter(c -> c.method() == NormMethod.BATCH).toList();
  }

  /** Every batch golden case written to Parquet and fitted by the library over its columnar batches. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("batchCases")
  void goldenCasesFromParquetMatchPyTorch(GoldenFiles.Case c) {
    Dataset<Row> frame = spark.read().parquet(write(GoldenFrames.frame(spark, c).repartition(3), "golden-" + c.name()));
    assertNotNull(ColumnarStatistics.read(frame.select("features"),
        StatisticsFit.function(tensor(frame), c.shape(), true, null)), "columnar batches");
    BatchStatistics fitted = TensorNormalization.fitStatistics(frame, new NormalizeSpec(NormMethod.BATCH).shape(c.shape()));
    assertEquals(c.count(), fitted.count());
    GoldenChecks.assertStatistic(c.mean(), c.exactMean(), fitted.mean(), "mean");
    GoldenChecks.assertStatistic(c.variance(), c.exactVariance(), fitted.variance(), "var");
    GoldenChecks.assertStatistic(c.unbiasedVariance(), c.exactUnbiasedVariance(), fitted.unbiasedVariance(),
        "var_unbiased");
  }

  @Test
  void invalidRowsArePassedOverAsTheAggregateDoes() {
    Dataset<Row> frame = parquet("invalid-skip", DataTypes.DoubleType, true);
    byte[] columnar = columnar(frame, false);
    // 500 rows, 3 invalid (a null tensor, a null element, a NaN): 497 rows of 2 values per channel.
    assertEquals(497L * 2, ExactMoments.fromBytes(columnar).count());
    assertSameStatistics(aggregated(frame, false), columnar);
  }

  @Test
  void anInvalidRowFailsTheFitNamingTheRowAsTheRowPlanDoes() {
    Dataset<Row> rows = parquet("invalid-error", DataTypes.DoubleType, true);
    NormalizeSpec spec = new NormalizeSpec(NormMethod.BATCH).shape(SHAPE).idCol("id");
    for (String id : List.of("123", "321", "77")) {
      // The filter puts the frame on the row plan; the same rows written alone are read in columnar batches.
      Dataset<Row> filtered = rows.filter("id = " + id + " or id < 5");
      Dataset<Row> alone = spark.read().parquet(write(filtered, "alone-" + id));
      assertNull(columnar(filtered, false));
      assertNotNull(columnar(alone, false));
      Exception columnarFailure = assertThrows(Exception.class, () -> TensorNormalization.fitStatistics(alone, spec));
      Exception rowFailure = assertThrows(Exception.class, () -> TensorNormalization.fitStatistics(filtered, spec));
      String expected = switch (id) {
        case "123" -> "column 'features', row with id 123: null value at index 4";
        case "321" -> "column 'features', row with id 321: value NaN at index 1 is not finite";
        default -> "column 'features', row with id 77: the tensor is null";
      };
      assertEquals(expected, TensorNormalization.describeFailure(columnarFailure, alone));
      assertEquals(expected, TensorNormalization.describeFailure(rowFailure, filtered));
    }
  }

  private static String write(Dataset<Row> frame, String name) {
    String path = dir.resolve(name).toString();
    frame.write().parquet(path);
    return path;
  }

  @Test
  void orcIsReadInColumnarBatchesToo() {
    Dataset<Row> parquet = parquet("orc-source", DataTypes.DoubleType, true);
    String orc = dir.resolve("orc").toString();
    parquet.write().orc(orc);
    Dataset<Row> fromOrc = spark.read().orc(orc);
    byte[] columnar = columnar(fromOrc, false);
    assertNotNull(columnar, fromOrc.queryExecution().executedPlan().toString());
    assertSameStatistics(aggregated(parquet, false), columnar);
  }

  @Test
  void theCountingFitCountsEveryRowReadOnBothRoutes() {
    Dataset<Row> parquet = parquet("counting", DataTypes.FloatType, true);
    NormalizeSpec spec = new NormalizeSpec(NormMethod.BATCH).shape(SHAPE).handleInvalid(HandleInvalid.SKIP);
    BatchStatistics plain = TensorNormalization.fitStatistics(parquet, spec);
    for (Dataset<Row> frame : List.of(parquet, parquet.filter("id >= 0"))) {
      CountedStatistics counted = TensorNormalization.fitStatisticsCountingRows(frame, spec);
      assertEquals(500, counted.rows(), "rows read, the 3 invalid ones included");
      assertEquals(497L * 2, counted.statistics().count());
      for (int c = 0; c < SHAPE.channels(); c++) {
        assertEquals(Double.doubleToRawLongBits(plain.mean()[c]),
            Double.doubleToRawLongBits(counted.statistics().mean()[c]));
      }
    }
  }

  @Test
  void plansWithoutColumnarBatchesGoToTheAggregate() {
    Dataset<Row> parquet = parquet("plans", DataTypes.DoubleType, false);
    String json = dir.resolve("plans-json").toString();
    parquet.write().json(json);
    Dataset<Row> fromJson = spark.read().schema(parquet.schema()).json(json);
    assertNull(columnar(fromJson, true), "JSON lines are read as rows");
    assertNull(columnar(parquet.filter("id % 2 = 0"), true), "a filter over the scan");
    assertNull(columnar(parquet.repartition(4), true), "an exchange over the scan");
    // Both routes of the library's fit give the same statistics for the same rows.
    NormalizeSpec spec = new NormalizeSpec(NormMethod.BATCH).shape(SHAPE);
    BatchStatistics fromParquet = TensorNormalization.fitStatistics(parquet, spec);
    BatchStatistics fromRows = TensorNormalization.fitStatistics(fromJson, spec);
    for (int c = 0; c < SHAPE.channels(); c++) {
      assertEquals(Double.doubleToRawLongBits(fromRows.mean()[c]), Double.doubleToRawLongBits(fromParquet.mean()[c]));
      assertEquals(Double.doubleToRawLongBits(fromRows.variance()[c]), Double.doubleToRawLongBits(fromParquet.variance()[c]));
    }
  }
}
