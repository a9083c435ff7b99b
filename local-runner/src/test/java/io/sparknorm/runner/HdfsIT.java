package io.sparknorm.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparknorm.testing.ChildProcess;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The built job through {@code local-runner/spark-submit} with every path an {@code hdfs://} URI: a MiniDFSCluster
 * (one NameNode, one DataNode, on 127.0.0.1, permissions on) runs in this JVM, and the job's driver talks to it
 * over loopback like any HDFS client.
 *
 * <p>Parquet input of 200 rows of shape (2, 3) is written to HDFS by this JVM's Spark. Batch norm (Parquet out,
 * {@code --stats-out} on HDFS) and layer norm (JSON out) must give the values and statistics that plain loops here
 * give, within 1e-12 relative, and leave nothing beside the output (no hidden staging folder). A job run as another
 * Hadoop user ({@code HADOOP_USER_NAME=alice}, simple authentication) whose output lies in a folder she may not write
 * must fail with one {@code error:} line naming the output and the denied permission, and change nothing anywhere on
 * HDFS: not the output's folder, not the writable folder its {@code --stats-out} pointed into.
 */
@ExtendWith(SubmitSuite.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class HdfsIT {
  private static final int ROWS = 200;
  private static final int CHANNELS = 2;
  private static final int SPATIAL = 3;
  private static final int SIZE = CHANNELS * SPATIAL;
  private static final double EPS = 1e-5;
  /** Both implementations do two-pass double arithmetic on values near 1: they agree far closer than this. */
  private static final double TOLERANCE = 1e-12;

  /** work, spark and submit: set by {@link SubmitSuite}. */
  private static WorkDir work;
  private static MiniDFSCluster cluster;
  private static FileSystem hdfs;
  private static String uri;
  private static SparkSession spark;
  private static JobSubmitter submit;
  private static String input;

  @BeforeAll
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  static void start() throws IOException {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, work.newDir("minidfs").toString());
    conf.setBoolean("dfs.permissions.enabled", true);
    // Loopback only, every port free-picked.
    for (String key : List.of("dfs.namenode.http-address", "dfs.datanode.address", "dfs.datanode.http.address",
        "dfs.datanode.ipc.address")) {
      conf.set(key, "127.0.0.1:0");
    }
    cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).checkDataNodeAddrConfig(true).build();
    cluster.waitActive();
    hdfs = cluster.getFileSystem(); // as this JVM's user, who started the NameNode: its superuser
    uri = "hdfs://127.0.0.1:" + cluster.getNameNodePort();

    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < ROWS; i++) {
      rows.add(RowFactory.create((long) i, Arrays.stream(values(i)).boxed().toList()));
    }
    StructType schema = new StructType().add("id", DataTypes.LongType)
        .add("features", DataTypes.createArrayType(DataTypes.DoubleType));
    input = uri + "/input/data.parquet";
    // Three files, so that the job reads several partitions; world-readable (umask 022) for the other user.
    spark.createDataFrame(rows, schema).repartition(3).write().parquet(input);
  }

  @AfterAll
  static void stop() {
    try {
      TestSpark.stop(spark); // before the cluster: its HDFS clients would retry a gone NameNode
    } finally {
      if (cluster != null) {
        cluster.shutdown(true);
      }
    }
  }

  /** Row i: channels with different means and spreads, deterministic. */
  private static double[] values(int i) {
    double[] v = new double[SIZE];
    for (int c = 0; c < CHANNELS; c++) {
      for (int s = 0; s < SPATIAL; s++) {
        v[c * SPATIAL + s] = (c + 1) * Math.sin(0.37 * i + 1.1 * s + c) + 2.5 * c - 1 + i / 100.0;
      }
    }
    return v;
  }

  @Test
  void batchNormParquetInAndOutWithStatisticsOnHdfs() throws IOException {
    String dir = uri + "/jobs/batch";
    String output = dir + "/result.parquet";
    String stats = dir + "/stats.json";
    assertSucceeded(submit.run("batch, parquet, stats-out on hdfs", List.of("--input", input, "--output", output,
        "--method", "batch", "--shape", CHANNELS + "," + SPATIAL, "--stats-out", stats)), "batch");

    // Per channel over all rows and spatial positions: two passes, biased and unbiased variance.
    double[][] expected = new double[3][CHANNELS];
    int n = ROWS * SPATIAL;
    for (int c = 0; c < CHANNELS; c++) {
      double sum = 0;
      for (int i = 0; i < ROWS; i++) {
        for (int s = 0; s < SPATIAL; s++) {
          sum += values(i)[c * SPATIAL + s];
        }
      }
      double mean = sum / n;
      double squares = 0;
      for (int i = 0; i < ROWS; i++) {
        for (int s = 0; s < SPATIAL; s++) {
          double d = values(i)[c * SPATIAL + s] - mean;
          squares += d * d;
        }
      }
      expected[0][c] = mean;
      expected[1][c] = squares / n;
      expected[2][c] = squares / (n - 1);
    }

    Dataset<Row> result = spark.read().parquet(output);
    assertEquals(DataTypes.DoubleType, TestSpark.elementType(result.schema(), "features"), result.schema().toString());
    for (Map.Entry<Long, double[]> row : byId(result).entrySet()) {
      double[] x = values(row.getKey().intValue());
      double[] y = new double[SIZE];
      for (int j = 0; j < SIZE; j++) {
        int c = j / SPATIAL;
        y[j] = (x[j] - expected[0][c]) / Math.sqrt(expected[1][c] + EPS);
      }
      assertClose(y, row.getValue(), "batch, id " + row.getKey());
    }

    JsonNode file;
    try (InputStream in = hdfs.open(new Path(stats))) {
      file = TestSpark.JSON.readTree(in);
    }
    assertEquals("batch", file.path("method").asText(), file.toString());
    assertEquals(List.of(CHANNELS, SPATIAL), Arrays.stream(TestSpark.doubles(file.path("shape")))
        .mapToObj(d -> (int) d).toList(), file.toString());
    assertEquals(n, file.path("count").asLong(-1), file.toString());
    String[] keys = {"mean", "var", "var_unbiased"};
    for (int k = 0; k < keys.length; k++) {
      double[] got = TestSpark.doubles(file.path(keys[k]));
      assertEquals(CHANNELS, got.length, keys[k] + " in " + file);
      for (int c = 0; c < CHANNELS; c++) {
        // A mean near zero is held to its channel's spread, a variance to itself.
        double scale = Math.max(Math.abs(expected[k][c]), k == 0 ? Math.sqrt(expected[1][c]) : 0);
        assertEquals(expected[k][c], got[c], TOLERANCE * scale, keys[k] + "[" + c + "] in " + file);
      }
    }
    assertEquals(List.of("result.parquet", "stats.json"), names(dir), "beside the output in " + dir);
  }

  @Test
  void layerNormParquetInJsonOut() throws IOException {
    String dir = uri + "/jobs/layer";
    String output = dir + "/result.json";
    assertSucceeded(submit.run("layer, json out on hdfs", List.of("--input", input, "--output", output,
        "--output-format", "json", "--method", "layer", "--shape", CHANNELS + "," + SPATIAL)), "layer");

    List<String> parts = names(output).stream().filter(name -> name.startsWith("part-")).toList();
    assertFalse(parts.isEmpty(), "no part files in " + output + ": " + names(output));
    assertTrue(parts.stream().allMatch(name -> name.endsWith(".json")), "JSON part files: " + parts);
    for (Map.Entry<Long, double[]> row : byId(spark.read().json(output)).entrySet()) {
      // Per row over all six values, two passes.
      double[] x = values(row.getKey().intValue());
      double mean = Arrays.stream(x).sum() / SIZE;
      double var = Arrays.stream(x).map(v -> (v - mean) * (v - mean)).sum() / SIZE;
      double[] y = Arrays.stream(x).map(v -> (v - mean) / Math.sqrt(var + EPS)).toArray();
      assertClose(y, row.getValue(), "layer, id " + row.getKey());
    }
    assertEquals(List.of("result.json"), names(dir), "beside the output in " + dir);
  }

  @Test
  void anOutputTheUserMayNotWriteFailsWithOneErrorLineAndChangesNothing() throws IOException {
    // bob's folder, which alice may read and enter but not write; alice's own folder for the statistics.
    Path shared = new Path(uri + "/users/bob/shared");
    hdfs.mkdirs(shared, new FsPermission((short) 0755));
    hdfs.setOwner(new Path(uri + "/users/bob"), "bob", "bob");
    hdfs.setOwner(shared, "bob", "bob");
    Path mine = new Path(uri + "/users/alice");
    hdfs.mkdirs(mine, new FsPermission((short) 0755));
    hdfs.setOwner(mine, "alice", "alice");
    String output = shared + "/result.parquet";
    String stats = mine + "/stats.json";
    Map<String, String> before = tree();

    ChildProcess.Result result = submit.run("batch as alice into bob's folder", "local[2]",
        Map.of("HADOOP_USER_NAME", "alice"), List.of(), List.of("--input", input, "--output", output,
            "--method", "batch", "--shape", CHANNELS + "," + SPATIAL, "--stats-out", stats));

    assertEquals(1, result.exitCode(), result::describe); // the README's status for a failed job
    List<String> errors = result.stderr().lines().filter(line -> line.startsWith("error:")).toList();
    assertEquals(1, errors.size(), () -> "exactly one 'error:' line expected: " + result.describe());
    String line = errors.get(0);
    System.out.println("[HdfsIT] the permission case said: " + line);
    assertFalse(result.stdout().contains("rows_in="), () -> "a summary line on a failure: " + result.describe());
    // Nothing changed anywhere: no output, no statistics, no staging folder, not even a modification time.
    assertEquals(before, tree(), "HDFS before and after the failed job");
    // The user's words: which path (the output as given, not only the folder HDFS refused) and why.
    assertTrue(line.contains(output), () -> "the error line should name the output " + output + ": "
        + result.describe());
    assertTrue(line.toLowerCase(Locale.ROOT).contains("permission denied"),
        () -> "the error line should say permission is denied: " + result.describe());
  }

  // --- helpers ---------------------------------------------------------------------------------------------------

  private static void assertSucceeded(ChildProcess.Result result, String method) {
    assertEquals(0, result.exitCode(), result::describe);
    String expected = "sparknorm: method=" + method + " rows_in=" + ROWS + " rows_out=" + ROWS + " rows_skipped=0 ";
    assertTrue(result.stdout().lines().anyMatch(line -> line.startsWith(expected)),
        () -> "summary line '" + expected + "...': " + result.describe());
  }

  /** Each row's features by id; every id once. */
  private static Map<Long, double[]> byId(Dataset<Row> data) {
    Map<Long, double[]> rows = new TreeMap<>();
    for (Row row : data.collectAsList()) {
      assertNull(rows.put(row.getLong(row.fieldIndex("id")), TestSpark.doubles(row, "features")), "twice: " + row);
    }
    assertEquals(ROWS, rows.size(), "rows out");
    return rows;
  }

  private static void assertClose(double[] expected, double[] got, String what) {
    assertEquals(expected.length, got == null ? -1 : got.length, what + ": " + Arrays.toString(got));
    for (int j = 0; j < got.length; j++) {
      assertEquals(expected[j], got[j], TOLERANCE * Math.max(1, Math.abs(expected[j])),
          what + " [" + j + "]: " + Arrays.toString(got) + " vs " + Arrays.toString(expected));
    }
  }

  /** The names in an HDFS folder, hidden ones included, sorted. */
  private static List<String> names(String dir) throws IOException {
    return Arrays.stream(hdfs.listStatus(new Path(dir))).map(s -> s.getPath().getName()).sorted().toList();
  }

  /** Every path on HDFS with its owner, permission, length and modification time. */
  private static Map<String, String> tree() throws IOException {
    Map<String, String> tree = new TreeMap<>();
    List<Path> pending = new ArrayList<>(List.of(new Path(uri + "/")));
    while (!pending.isEmpty()) {
      for (FileStatus status : hdfs.listStatus(pending.remove(pending.size() - 1))) {
        tree.put(status.getPath().toUri().getPath(), status.getOwner() + " " + status.getPermission() + " "
            + status.getLen() + " " + status.getModificationTime());
        if (status.isDirectory()) {
          pending.add(status.getPath());
        }
      }
    }
    return tree;
  }
}
