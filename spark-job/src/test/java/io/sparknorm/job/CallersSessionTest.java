package io.sparknorm.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The job in a session it did not make (a notebook's, a test's, a benchmark's): the settings it changes for its own
 * run (the rows per columnar reader batch, capped for large tensors) are the caller's again when it returns, after a
 * success and after a failure.
 */
class CallersSessionTest extends JobTestSupport {
  private static final String PARQUET_BATCH = "spark.sql.parquet.columnarReaderBatchSize";
  private static final String ORC_BATCH = "spark.sql.orc.columnarReaderBatchSize";
  /** 3 x 32 x 32 = 3,072 elements a tensor: above 1,024, so the job caps the rows per reader batch. */
  private static final String SHAPE = "3,32,32";

  @AfterEach
  void unsetBatchSizes() {
    spark.conf().unset(PARQUET_BATCH);
    spark.conf().unset(ORC_BATCH);
  }

  /** Parquet rows of 3,072 doubles; the last one holds a NaN when {@code withNaN}. */
  private String input(String name, boolean withNaN) {
    List<Row> rows = new ArrayList<>();
    for (int r = 0; r < 3; r++) {
      Double[] values = new Double[3 * 32 * 32];
      for (int i = 0; i < values.length; i++) {
        values[i] = withNaN && r == 2 && i == 5 ? Double.NaN : (double) ((i * 7 + r) % 13);
      }
      rows.add(RowFactory.create(r, values));
    }
    String path = dir.resolve(name).toString();
    spark.createDataFrame(rows, new StructType().add("id", DataTypes.IntegerType)
        .add("features", DataTypes.createArrayType(DataTypes.DoubleType))).coalesce(1).write().parquet(path);
    return path;
  }

  @Test
  void readerBatchSettingsAreTheCallersAgainAfterASuccess() {
    String in = input("in.parquet", false);
    spark.conf().set(PARQUET_BATCH, "2048");
    JobRun.of("--input", in, "--output", results.resolve("out").toString(), "--method", "layer", "--shape", SHAPE)
        .assertSucceeded("layer", 3, 3, 0, 0);
    assertEquals("2048", spark.conf().get(PARQUET_BATCH), "a setting the caller made is the caller's value again");
    assertFalse(spark.conf().contains(ORC_BATCH), "a setting the caller left unset is unset again");
  }

  @Test
  void readerBatchSettingsAreTheCallersAgainAfterAFailure() throws Exception {
    String in = input("nan.parquet", true);
    spark.conf().set(ORC_BATCH, "512");
    JobRun.of("--input", in, "--output", results.resolve("out").toString(), "--method", "batch", "--shape", SHAPE)
        .assertFailedWith("error: ", results, "NaN");
    assertFalse(spark.conf().contains(PARQUET_BATCH), "a setting the caller left unset is unset again");
    assertEquals("512", spark.conf().get(ORC_BATCH), "a setting the caller made is the caller's value again");
  }
}
