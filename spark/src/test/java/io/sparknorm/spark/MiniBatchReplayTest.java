package io.sparknorm.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.core.Affine;
import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.GoldenChecks;
import io.sparknorm.core.GoldenFiles;
import io.sparknorm.core.GoldenFiles.Replay;
import io.sparknorm.core.NormMethod;
import io.sparknorm.core.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.nio.file.Path;
import java.util.function.IntFunction;
import java.util.regex.Pattern;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Mini-batch replay of batch norm's training mode against PyTorch's replay goldens: outputs row by
 * row, running statistics, batch counts; the same bits for 1, 2, 3 and 7 partitions; order-by;
 * PyTorch's refusal of a batch with one value per channel; skip and keep; option errors.
 */
@ExtendWith(LocalSpark.class)
class MiniBatchReplayTest {
  private static SparkSession spark;

  static List<Replay> replays() {
    return GoldenFiles.replay().stream().filter(r -> r.torchError() == null).toList();
  }

  static List<Replay> refusedReplays() {
    return GoldenFiles.replay().stream().filter(r -> r.torchError() != null).toList();
  }

  private static Replay golden(String name) {
    return GoldenFiles.replay().stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
  }

  // ---------------------------------------------------------------------------------------------
  // Frames

  private static StructType schema(boolean isDouble, boolean withKey) {
    StructType schema = new StructType().add("id", DataTypes.LongType, false);
    if (withKey) {
      schema = schema.add("k", DataTypes.IntegerType, true);
    }
    return schema.add("features", DataTypes.createArrayType(isDouble ? DataTypes.DoubleType : DataTypes.FloatType));
  }

  private static Object[] tensor(double[] values, boolean isDouble) {
    Object[] boxed = new Object[values.length];
    for (int i = 0; i < values.length; i++) {
      boxed[i] = isDouble ? (Object) values[i] : (Object) (float) values[i];
    }
    return boxed;
  }

  /** A frame read in exactly this row order, cut into this many partitions (contiguous slices). */
  private static Dataset<Row> frame(List<Row> rows, StructType schema, int partitions) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Dataset<Row> frame = spark.createDataFrame(jsc.parallelize(rows, partitions), schema);
    assertEquals(partitions, frame.rdd().getNumPartitions());
    return frame;
  }

  /** The golden's rows as (id, features), ids 0.. in row order. */
  private static List<Row> rows(Replay r) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < r.rows().length; i++) {
      rows.add(RowFactory.create((long) i, tensor(r.rows()[i], r.isDouble())));
    }
    return rows;
  }

  private static NormalizeSpec spec(Replay r, boolean withStart) {
    NormalizeSpec spec = new NormalizeSpec(NormMethod.BATCH).shape(r.shape()).eps(r.eps())
        .affine(Affine.of(r.weight(), r.bias()));
    if (withStart) {
      double[] unknown = new double[r.shape().channels()];
      Arrays.fill(unknown, Double.NaN);
      spec.statistics(new BatchStatistics(Shape.of(r.shape().channels()), 0, r.initialRunningMean(),
          r.initialRunningVar(), unknown));
    }
    return spec;
  }

  /** Starts from the golden's running statistics when they are not PyTorch's defaults (0 and 1). */
  private static ReplayResult replay(Replay r, Dataset<Row> frame) {
    boolean defaults = Arrays.stream(r.initialRunningMean()).allMatch(v -> v == 0)
        && Arrays.stream(r.initialRunningVar()).allMatch(v -> v == 1);
    return MiniBatchReplay.normalize(frame, spec(r, !defaults), r.batchSize(), null, r.momentum());
  }

  /** The output column by id (null for a null result). */
  private static TreeMap<Long, double[]> outputs(Dataset<Row> frame) {
    TreeMap<Long, double[]> byId = new TreeMap<>();
    for (Row row : frame.collectAsList()) {
      List<Object> values = row.isNullAt(row.fieldIndex("features")) ? null : row.getList(row.fieldIndex("features"));
      byId.put(row.getLong(row.fieldIndex("id")),
          values == null ? null : values.stream().mapToDouble(v -> ((Number) v).doubleValue()).toArray());
    }
    return byId;
  }

  /**
   * Both outputs hold the same rows, {@code rows} of them (an empty output is no match), each with the same bits (a
   * null result as null).
   */
  private static void assertSameOutputs(TreeMap<Long, double[]> expected, TreeMap<Long, double[]> actual, int rows,
      String where) {
    assertEquals(rows, expected.size(), where + ": rows expected");
    assertEquals(expected.keySet(), actual.keySet(), where + ": row ids");
    for (long id : expected.keySet()) {
      assertArrayEquals(expected.get(id), actual.get(id), where + ", row " + id);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Against PyTorch

  @Test
  void everyReplayGoldenIsHere() {
    assertTrue(replays().size() >= 7, "replay goldens: " + replays().size());
    assertTrue(refusedReplays().size() >= 1, "refused replay goldens");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("replays")
  void matchesPyTorchAndIsTheSameBitsForAnyPartitioning(Replay r) {
    TreeMap<Long, double[]> first = null;
    ReplayResult firstResult = null;
    for (int partitions : new int[] {1, 2, 3, 7}) {
      ReplayResult result = replay(r, frame(rows(r), schema(r.isDouble(), false), partitions));
      assertEquals(Arrays.asList("id", "features"), Arrays.asList(result.result().frame().columns()));
      TreeMap<Long, double[]> out = outputs(result.result().frame());
      if (first == null) {
        first = out;
        firstResult = result;
        assertMatchesPyTorch(r, result, out);
        continue;
      }
      String where = r.name() + " in " + partitions + " partitions";
      assertSameOutputs(first, out, r.rows().length, where);
      assertArrayEquals(firstResult.running().runningMean(), result.running().runningMean(), where + " running_mean");
      assertArrayEquals(firstResult.running().runningVar(), result.running().runningVar(), where + " running_var");
      assertEquals(firstResult.batches(), result.batches(), where);
    }
  }

  /** The README's tolerances: 1e-9 of the exact result (float64) and of PyTorch's as far as it agrees; 1e-5 for float. */
  private static void assertMatchesPyTorch(Replay r, ReplayResult result, TreeMap<Long, double[]> out) {
    assertEquals(r.rows().length, out.size(), r.name());
    for (int s = 0; s < r.rows().length; s++) {
      double[] actual = out.get((long) s);
      for (int i = 0; i < actual.length; i++) {
        GoldenChecks.assertValue(r.outputs()[s][i], r.exactOutputs() != null ? r.exactOutputs()[s][i] : Double.NaN,
            actual[i], r.tolerance(), r.name() + " row " + s + " element " + i);
      }
    }
    assertEquals(r.batches(), result.batches(), r.name() + " batches");
    assertEquals(r.numBatchesTracked(), result.running().batches(), r.name() + " num_batches_tracked");
    assertEquals(r.rows().length, result.rows(), r.name() + " rows");
    double[] mean = r.runningMean().get(r.runningMean().size() - 1);
    double[] var = r.runningVar().get(r.runningVar().size() - 1);
    for (int c = 0; c < mean.length; c++) {
      // Float64: a few ulps of PyTorch's (its update, in its order, on statistics it rounds a little differently).
      double allowedMean = r.isDouble() ? 4e-15 * Math.abs(mean[c]) : r.tolerance();
      double allowedVar = r.isDouble() ? 4e-15 * Math.abs(var[c]) : r.tolerance();
      assertEquals(mean[c], result.running().runningMean()[c], allowedMean, r.name() + " running_mean " + c);
      assertEquals(var[c], result.running().runningVar()[c], allowedVar, r.name() + " running_var " + c);
    }
    assertArrayEquals(result.running().runningMean(), result.result().statistics().mean());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedReplays")
  void refusesTheMiniBatchPyTorchRefuses(Replay r) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> replay(r, frame(rows(r), schema(r.isDouble(), false), 3)));
    int batch = r.errorBatch();
    long firstRow = (long) batch * r.batchSize();
    assertEquals("column 'features': mini-batch " + (batch + 1) + " of " + r.batches() + " (rows " + firstRow + " to "
        + (r.rows().length - 1) + ") has 1 value per channel; batch norm in training mode needs more than 1 (PyTorch:"
        + " Expected more than 1 value per channel when training)", e.getMessage());
    assertTrue(r.torchError().startsWith("Expected more than 1 value per channel when training"), r.torchError());
  }

  @Test
  void oneBatchOfAllRowsIsBatchNormOverTheWholeInput() {
    Replay r = golden("replay_c4_b23_f64");
    Dataset<Row> input = frame(rows(r), schema(true, false), 3);
    TreeMap<Long, double[]> replayed = outputs(replay(r, input).result().frame());
    TreeMap<Long, double[]> whole = outputs(TensorNormalization.normalize(input, spec(r, false)).frame());
    assertSameOutputs(whole, replayed, r.rows().length, "one batch of all rows");
  }

  @Test
  void aParquetInputIsReplayedInItsReadOrderWithoutMovingRows(@TempDir Path dir) {
    Replay r = golden("replay_c3x5_b6_f32");
    frame(rows(r), schema(false, false), 3).write().parquet(dir.resolve("data").toString());
    Dataset<Row> parquet = spark.read().parquet(dir.resolve("data").toString());
    // The files' read order (Spark packs the largest file first), as a one-partition frame.
    List<Row> readOrder = parquet.collectAsList();
    TreeMap<Long, double[]> expected = outputs(replay(r, frame(readOrder, parquet.schema(), 1)).result().frame());
    Dataset<Row> normalized = replay(r, parquet).result().frame();
    TreeMap<Long, double[]> actual = outputs(normalized);
    assertSameOutputs(expected, actual, r.rows().length, "Parquet in its read order");
    String plan = normalized.queryExecution().executedPlan().toString();
    assertTrue(plan.contains("BroadcastHashJoin") && plan.contains("batch_norm("), plan);
    // No exchange but the broadcast of the statistics table: no row moves.
    assertTrue(plan.contains("BroadcastExchange") && !Pattern.compile("(?<!Broadcast)Exchange").matcher(plan).find(),
        plan);
  }

  /** Fails the first attempt of partition 0's task at id 2 (only the write reads the column it makes). */
  private static final UDF1<Long, Long> FAIL_ONCE = id -> {
    TaskContext task = TaskContext.get();
    if (task.attemptNumber() == 0 && task.partitionId() == 0 && id == 2) {
      throw new IllegalStateException("injected task failure");
    }
    return id;
  };

  @Test
  void aRetriedTaskGivesTheSameBits() {
    Replay r = golden("replay_c4_b5_f64");
    Dataset<Row> input = frame(rows(r), schema(true, false), 3);
    TreeMap<Long, double[]> expected = outputs(replay(r, input).result().frame());
    Dataset<Row> failing = input.withColumn("copy",
        org.apache.spark.sql.functions.udf(FAIL_ONCE, DataTypes.LongType).apply(input.col("id")));
    TreeMap<Long, double[]> retried = outputs(replay(r, failing).result().frame());
    assertSameOutputs(expected, retried, r.rows().length, "a retried task");
  }

  // ---------------------------------------------------------------------------------------------
  // Order

  @Test
  void orderByOnAShuffledCopyGivesTheResultOfTheOrderedInput() {
    Replay r = golden("replay_c4_b5_f64");
    TreeMap<Long, double[]> ordered = outputs(replay(r, frame(rows(r), schema(true, false), 2)).result().frame());
    List<Row> shuffled = new ArrayList<>();
    for (int i = 0; i < r.rows().length; i++) {
      shuffled.add(RowFactory.create((long) i, (int) (100 - 3 * i), tensor(r.rows()[i], true)));
    }
    Collections.shuffle(shuffled, new Random(7));
    // Descending ids as the order column's ascending order: the rows are sorted back into reverse.
    Dataset<Row> input = frame(shuffled, schema(true, true), 3);
    ReplayResult result = MiniBatchReplay.normalize(input, spec(r, false), r.batchSize(), "k", r.momentum());
    TreeMap<Long, double[]> sorted = outputs(result.result().frame());
    List<Row> reversed = new ArrayList<>(rows(r));
    Collections.reverse(reversed);
    TreeMap<Long, double[]> expected = outputs(replay(r, frame(reversed, schema(true, false), 1)).result().frame());
    assertSameOutputs(expected, sorted, r.rows().length, "sorted back into reverse");
    assertEquals(Arrays.asList("id", "k", "features"), Arrays.asList(result.result().frame().columns()));

    // And with the order column in the rows' own order, the ordered input's result.
    List<Row> byId = new ArrayList<>();
    for (int i = 0; i < r.rows().length; i++) {
      byId.add(RowFactory.create((long) i, i, tensor(r.rows()[i], true)));
    }
    Collections.shuffle(byId, new Random(11));
    TreeMap<Long, double[]> resorted = outputs(MiniBatchReplay.normalize(frame(byId, schema(true, true), 7),
        spec(r, false), r.batchSize(), "K", r.momentum()).result().frame());
    assertSameOutputs(ordered, resorted, r.rows().length, "sorted back into read order");
  }

  @Test
  void orderByIsStableAndPutsNullsFirst() {
    Replay r = golden("replay_c4_b8_f64");
    int n = r.rows().length;
    IntFunction<Integer> key = i -> i % 5 == 0 ? null : 3 - i / 6;
    List<Row> input = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      input.add(RowFactory.create((long) i, key.apply(i), tensor(r.rows()[i], true)));
    }
    // Expected order: null keys first, then ascending keys, ties in read order (a stable sort).
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      order.add(i);
    }
    order.sort(Comparator.comparing((Integer i) -> key.apply(i), Comparator.nullsFirst(Comparator.naturalOrder())));
    List<Row> reordered = new ArrayList<>();
    for (int i : order) {
      reordered.add(RowFactory.create((long) i, tensor(r.rows()[i], true)));
    }
    TreeMap<Long, double[]> expected = outputs(replay(r, frame(reordered, schema(true, false), 1)).result().frame());
    for (int partitions : new int[] {1, 3}) {
      TreeMap<Long, double[]> actual = outputs(MiniBatchReplay.normalize(frame(input, schema(true, true), partitions),
          spec(r, false), r.batchSize(), "k", r.momentum()).result().frame());
      assertSameOutputs(expected, actual, n, partitions + " partitions");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Invalid rows

  /** The golden's rows with invalid ones (ids 100..102: NaN, wrong length, null) put in at rows 3, 9 and 17. */
  private static List<Row> withInvalidRows(Replay r) {
    List<Row> rows = new ArrayList<>(rows(r));
    rows.add(17, RowFactory.create(102L, null));
    rows.add(9, RowFactory.create(101L, tensor(new double[] {1, 2, 3}, true)));
    rows.add(3, RowFactory.create(100L, tensor(new double[] {1, Double.NaN, 3, 4}, true)));
    return rows;
  }

  @Test
  void skipBatchesTheValidRowsOnlyAndCountsTheSkipped() {
    Replay r = golden("replay_c4_b5_f64");
    TreeMap<Long, double[]> alone = outputs(replay(r, frame(rows(r), schema(true, false), 1)).result().frame());
    for (int partitions : new int[] {1, 3}) {
      // In 3 partitions sorted by id too: the invalid rows (ids 100..102) then come last.
      ReplayResult result = MiniBatchReplay.normalize(frame(withInvalidRows(r), schema(true, false), partitions),
          spec(r, false).handleInvalid(HandleInvalid.SKIP), r.batchSize(), partitions == 1 ? null : "id",
          r.momentum());
      assertEquals(r.rows().length, result.rows());
      assertEquals(r.batches(), result.batches());
      Dataset<Row> counted = result.result().countedFrame();
      TreeMap<Long, double[]> out = outputs(counted);
      assertSameOutputs(alone, out, r.rows().length, partitions + " partitions, the invalid rows dropped");
      assertEquals(new NormalizationResult.Counts(r.rows().length + 3, 3, 0), result.result().counts());
    }
  }

  @Test
  void keepKeepsTheInvalidRowsWithANullResultOutsideEveryBatch() {
    Replay r = golden("replay_c4_b5_f64");
    TreeMap<Long, double[]> alone = outputs(replay(r, frame(rows(r), schema(true, false), 1)).result().frame());
    ReplayResult result = MiniBatchReplay.normalize(frame(withInvalidRows(r), schema(true, false), 3),
        spec(r, false).handleInvalid(HandleInvalid.KEEP), r.batchSize(), null, r.momentum());
    TreeMap<Long, double[]> out = outputs(result.result().countedFrame());
    assertEquals(r.rows().length + 3, out.size());
    for (long id = 100; id <= 102; id++) {
      assertNull(out.get(id), "row " + id);
    }
    assertEquals(r.rows().length, alone.size(), "rows without the invalid ones");
    for (long id : alone.keySet()) {
      assertArrayEquals(alone.get(id), out.get(id), "row " + id);
    }
    assertEquals(new NormalizationResult.Counts(r.rows().length + 3, 0, 3), result.result().counts());
  }

  @Test
  void errorFailsOnAnInvalidRowAndTheRowIsNamed() {
    Replay r = golden("replay_c4_b5_f64");
    List<Row> rows = new ArrayList<>(rows(r));
    rows.add(7, RowFactory.create(100L, tensor(new double[] {1, Double.NaN, 3, 4}, true)));
    for (String orderBy : new String[] {null, "id"}) {
      Dataset<Row> input = frame(rows, schema(true, false), 3);
      Exception e = assertThrows(Exception.class, () -> MiniBatchReplay.normalize(input, spec(r, false),
          r.batchSize(), orderBy, r.momentum()).result().frame().collectAsList());
      String described = TensorNormalization.describeFailure(e, input);
      assertTrue(described.startsWith("column 'features', row 7: "), described);
    }
  }

  @Test
  void noValidRowIsAnError() {
    Replay r = golden("replay_c4_b5_f64");
    IllegalArgumentException empty = assertThrows(IllegalArgumentException.class, () -> MiniBatchReplay.normalize(
        frame(List.of(), schema(true, false), 1), spec(r, false), 4, null, 0.1));
    assertEquals("column 'features': batch norm needs more than 1 value per channel, got 0 (no valid row) for shape (4,)",
        empty.getMessage());
    List<Row> invalid = List.of(RowFactory.create(1L, null), RowFactory.create(2L, tensor(new double[] {1}, true)));
    IllegalArgumentException skipped = assertThrows(IllegalArgumentException.class, () -> MiniBatchReplay.normalize(
        frame(invalid, schema(true, false), 2), spec(r, false).handleInvalid(HandleInvalid.SKIP), 4, null, 0.1));
    assertEquals(empty.getMessage(), skipped.getMessage());
  }

  // ---------------------------------------------------------------------------------------------
  // Options

  @Test
  void optionsAreCheckedBeforeAnySparkJob() {
    Replay r = golden("replay_c4_b5_f64");
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      rows.add(RowFactory.create((long) i, i, tensor(r.rows()[i], true)));
    }
    Dataset<Row> input = frame(rows, schema(true, true), 2);
    Dataset<Row> withMap = input.withColumn("m", org.apache.spark.sql.functions.map(
        org.apache.spark.sql.functions.lit("a"), org.apache.spark.sql.functions.col("k")));
    String group = "sparknorm-replay-options";
    spark.sparkContext().setJobGroup(group, "options", false);
    try {
      assertEquals("batch-size is 0, must be at least 1", assertThrows(IllegalArgumentException.class,
          () -> MiniBatchReplay.normalize(input, spec(r, false), 0, null, 0.1)).getMessage());
      assertEquals("momentum is 1.5, must be in [0, 1]", assertThrows(IllegalArgumentException.class,
          () -> MiniBatchReplay.normalize(input, spec(r, false), 4, null, 1.5)).getMessage());
      assertEquals("momentum is NaN, must be in [0, 1]", assertThrows(IllegalArgumentException.class,
          () -> MiniBatchReplay.normalize(input, spec(r, false), 4, null, Double.NaN)).getMessage());
      assertEquals("batch-size: mini-batches are for batch norm only, not layer", assertThrows(
          IllegalArgumentException.class, () -> MiniBatchReplay.normalize(input,
              new NormalizeSpec(NormMethod.LAYER).shape(Shape.of(4)), 4, null, 0.1)).getMessage());
      IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
          () -> MiniBatchReplay.normalize(input, spec(r, false), 4, "nope", 0.1));
      assertTrue(unknown.getMessage().startsWith("order-by: ") && unknown.getMessage().contains("nope"),
          unknown.getMessage());
      assertEquals("order-by: column 'm' is of type map<string,int>, which Spark cannot sort",
          assertThrows(IllegalArgumentException.class,
              () -> MiniBatchReplay.normalize(withMap, spec(r, false), 4, "m", 0.1)).getMessage());
      assertTrue(assertThrows(IllegalArgumentException.class, () -> MiniBatchReplay.normalize(input,
          spec(r, false).affine(Affine.of(new double[3], null)), 4, null, 0.1)).getMessage()
          .startsWith("column 'features': "));
      assertEquals(0, spark.sparkContext().statusTracker().getJobIdsForGroup(group).length, "Spark jobs run");
    } finally {
      spark.sparkContext().clearJobGroup();
    }
  }
}
