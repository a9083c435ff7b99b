package io.sparknorm.ml;

import static io.sparknorm.spark.StreamRuns.SHAPE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.core.NormMethod;
import io.sparknorm.core.Shape;
import io.sparknorm.spark.LocalSpark;
import io.sparknorm.spark.MiniBatchReplay;
import io.sparknorm.spark.NormalizeSpec;
import io.sparknorm.spark.StatisticsReport;
import io.sparknorm.spark.StreamRuns;
import io.sparknorm.spark.TensorNormalization;
import io.sparknorm.sql.StreamingInputException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.ml.Transformer;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.streaming.Trigger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ML stages on streams: the per-sample stages and a TensorBatchNormModel fitted on a batch read (one set of
 * statistics, and statistics per key) give a stream's sink the same bits as on the batch read; what reads a whole
 * input (fit, the shape from a first row, a report, mini-batch replay) is refused on a stream before any Spark job.
 */
@ExtendWith(LocalSpark.class)
class StreamingStagesTest {
  private static SparkSession spark;
  private static final List<Integer> JOBS = java.util.Collections.synchronizedList(new ArrayList<>());
  @TempDir
  static Path data;
  @TempDir
  Path work;

  @BeforeAll
  static void writeFiles() {
    for (long from = 0; from < 12; from += 4) {
      StreamRuns.appendFile(spark, StreamRuns.rows(from, from + 4, 0), "parquet", data);
    }
    spark.sparkContext().addSparkListener(new SparkListener() {
      @Override
      public void onJobStart(SparkListenerJobStart jobStart) {
        JOBS.add(jobStart.jobId());
      }
    });
  }

  private static Dataset<Row> batch() {
    return StreamRuns.batch(spark, "parquet", data);
  }

  private static Dataset<Row> stream() {
    return StreamRuns.stream(spark, "parquet", data);
  }

  @Test
  void perSampleStagesAndFittedModelsOnAStreamGiveTheBitsOfTheBatchRead() {
    TensorBatchNormModel model = new TensorBatchNorm().setInputCol("x").setOutputCol("b").setShape(SHAPE)
        .setEps(1e-3).setWeight(new double[] {2, 0.5}).fit(batch());
    TensorBatchNormModel perSite = new TensorBatchNorm().setInputCol("f").setOutputCol("bk").setShape(SHAPE)
        .setGroupCols("site").fit(batch());
    assertEquals(3, perSite.keyedStatistics().entries().size());
    List<Transformer> stages = List.of(
        new TensorLayerNorm().setInputCol("x").setOutputCol("l").setShape(SHAPE),
        new TensorInstanceNorm().setInputCol("f").setOutputCol("i").setShape(SHAPE).setBias(new double[] {1, -1}),
        new TensorGroupNorm().setInputCol("x").setOutputCol("g").setShape(SHAPE).setGroups(2).setEps(1e-4),
        new TensorLayerNorm().setInputCol("y").setOutputCol("tl").setShape(SHAPE).setHandleInvalid("keep"),
        model, perSite);
    Function<Dataset<Row>, Dataset<Row>> all = input -> {
      Dataset<Row> out = input;
      for (Transformer stage : stages) {
        out = stage.transform(out);
      }
      return out.drop("ts");
    };
    List<String> expected = StreamRuns.exact(all.apply(batch()));
    List<String> streamed = StreamRuns.exact(StreamRuns.runToSink(all.apply(stream()), "parquet", work));
    assertEquals(12, expected.size());
    assertEquals(expected, streamed, "the stream's rows, bit for bit");
  }

  /** A stream cannot be searched ahead for a key without statistics: such a row fails the query when it comes. */
  @Test
  void aModelPerKeyFailsTheStreamAtARowOfAKeyWithoutStatistics() throws Exception {
    TensorBatchNormModel perSite = new TensorBatchNorm().setInputCol("x").setOutputCol("bk").setShape(SHAPE)
        .setGroupCols("site").fit(batch().filter("site <> 'c'"));
    var query = perSite.transform(stream()).writeStream().format("parquet")
        .option("checkpointLocation", work.resolve("checkpoint").toString()).trigger(Trigger.AvailableNow())
        .start(work.resolve("out").toString());
    try {
      StreamingQueryException e = assertThrows(StreamingQueryException.class, () -> query.awaitTermination(120_000));
      assertTrue(e.getMessage().contains("key site='c' has no statistics (unseen-key global normalizes such rows with"
          + " the statistics over all rows)"), e.getMessage());
    } finally {
      query.stop();
    }
    // unseenKey global: the statistics over all rows for them, as in batch.
    perSite.setUnseenKey("global");
    assertEquals(StreamRuns.exact(perSite.transform(batch())),
        StreamRuns.exact(StreamRuns.runToSink(perSite.transform(stream()), "parquet", work.resolve("global"))));
  }

  private static final String FIT = "the dataset is a stream; statistics over a whole stream never finish: fit on a"
      + " batch read of the same data (spark.read) and ";

  @Test
  void whatReadsTheWholeInputIsRefusedOnAStreamBeforeAnySparkJob() {
    Dataset<Row> stream = stream();
    NormalizeSpec batchSpec = new NormalizeSpec(NormMethod.BATCH).inputCol("x").shape(Shape.of(2, 3));
    int jobs = JOBS.size();
    assertRefused("TensorBatchNorm.fit", FIT + "apply the fitted TensorBatchNormModel to the stream, or use the job's"
        + " --stream --momentum for running statistics",
        () -> new TensorBatchNorm().setInputCol("x").setShape(SHAPE).fit(stream));
    assertRefused("TensorBatchNorm.fit", FIT + "apply the fitted TensorBatchNormModel to the stream, or use the job's"
        + " --stream --momentum for running statistics",
        () -> new TensorBatchNorm().setInputCol("x").setShape(SHAPE).setGroupCols("site").fit(stream));
    String library = FIT + "normalize the stream with the statistics fitted there";
    assertRefused("TensorNormalization.fitStatistics", library, () -> TensorNormalization.fitStatistics(stream,
        batchSpec));
    assertRefused("TensorNormalization.fitStatisticsCountingRows", library,
        () -> TensorNormalization.fitStatisticsCountingRows(stream, batchSpec));
    assertRefused("TensorNormalization.fitKeyedStatistics", library,
        () -> TensorNormalization.fitKeyedStatistics(stream, new NormalizeSpec(NormMethod.BATCH).inputCol("x")
            .shape(Shape.of(2, 3)).by(List.of("site"))));
    assertRefused("TensorNormalization.normalize", library, () -> TensorNormalization.normalize(stream, batchSpec));
    String shape = "the dataset is a stream; the shape is not set, and a stream's first row cannot be read ahead of"
        + " the query to infer it: set the shape";
    assertRefused("TensorLayerNorm.transform", shape,
        () -> new TensorLayerNorm().setInputCol("x").setOutputCol("l").transform(stream));
    assertRefused("shape", shape, () -> TensorNormalization.normalize(stream,
        new NormalizeSpec(NormMethod.INSTANCE).inputCol("x")));
    String report = "the dataset is a stream; a report is over a whole input, which a stream never finishes: report"
        + " on a batch read of the same data (spark.read)";
    TensorBatchNormModel model = TensorBatchNormModel.of(new double[] {0, 0}, new double[] {1, 1}).setInputCol("x");
    assertRefused("TensorBatchNormModel.report", report, () -> model.report(stream));
    assertRefused("StatisticsReport.of", report, () -> StatisticsReport.of(stream, batchSpec));
    assertRefused("MiniBatchReplay.normalize", "the dataset is a stream; replaying mini-batches numbers the whole"
        + " input first, which a stream never finishes: use the job's --stream --momentum for running statistics over"
        + " a stream", () -> MiniBatchReplay.normalize(stream, batchSpec, 4, null, 0.1));
    assertRefused("NormalizationResult.countedFrame", "the dataset is a stream; the counts are those of one action"
        + " over the whole input, which a stream never finishes: write frame(), and count each micro-batch's rows with"
        + " Dataset.observe(name, ...) and a StreamingQueryListener", () -> TensorNormalization.normalize(stream,
            new NormalizeSpec(NormMethod.LAYER).inputCol("x").shape(Shape.of(2, 3))).countedFrame());
    assertEquals(jobs, JOBS.size(), "no Spark job ran");
  }

  private static void assertRefused(String operation, String reason, Executable call) {
    StreamingInputException e = assertThrows(StreamingInputException.class, call);
    assertEquals(operation + ": " + reason, e.getMessage());
    assertEquals(operation, e.operation());
  }
}
