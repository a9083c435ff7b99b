package io.sparknorm.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparknorm.core.GoldenChecks;
import io.sparknorm.core.GoldenFiles;
import io.sparknorm.testing.ChildProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.DoubleSummaryStatistics;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * sparknorm's SQL functions through Spark Connect, as a Connect user meets them: Spark's Connect server
 * ({@code SparkConnectServer}, from {@code org.apache.spark:spark-connect_2.13}) started through
 * {@code local-runner/spark-submit} with {@code spark.sql.extensions=io.sparknorm.sql.SparknormExtensions} and
 * {@code --jars sparknorm-job.jar}, and a client program in a separate JVM whose class path is only Spark's Connect JVM
 * client ({@code target/connect-client/*}), the job jar and the program ({@link ConnectClient}).
 *
 * <p>The client runs every PyTorch golden case of {@code data/golden/cases} through SQL and through the DataFrame API
 * ({@code io.sparknorm.sql.functions}): layer, instance and group norm; batch norm as {@code batch_norm_stats} (whose
 * count, mean, var and var_unbiased are checked against the golden statistics) and {@code batch_norm} with those
 * statistics (SQL: a scalar subquery; DataFrame API: a cross join with the aggregate); the running-statistics goldens
 * in evaluation mode ({@code batch_norm} with given mean and var); and failures (an invalid tensor fails the query
 * with the function's message, its {@code try_} twin gives NULL, PyTorch's refusals fail at analysis). The inputs
 * carry the golden dtype: array&lt;float&gt; for float32 cases, array&lt;double&gt; for float64, made on the client
 * with {@code createDataFrame}; the output type must follow (float in, float out).
 *
 * <p>Tolerances as in {@link GoldenSubmitIT} and data/README.md: float32 1e-5 of torch's output; float64 1e-9 (relative
 * above 1) of the exact output where the file has it, and of torch's as closely as torch agrees with it; statistics
 * 1e-12 relative.
 *
 * <p>Processes and time. The server listens on 127.0.0.1 only, on a free port. One client run
 * does everything (133 queries) and prints JSON lines that the tests below read. Every wait is bounded: server
 * start 3 minutes, the client run 10 minutes (then killed), the server stop 30 s after SIGTERM (then SIGKILL) plus 10
 * s; {@link #stop()} always stops the server by its process id and checks that nothing of it is left.
 */
class SparkConnectIT {

  private static final String EXTENSIONS = "io.sparknorm.sql.SparknormExtensions";

  private static WorkDir work;
  private static ConnectServer server;
  private static ConnectClient client;
  private static ChildProcess.Result run;
  /** The client's output lines by kind|case|api. */
  private static final Map<String, JsonNode> LINES = new LinkedHashMap<>();

  @BeforeAll
  static void start() {
    work = WorkDir.create("connect");
    // A checked copy of the job jar (whole, with the job's main class), as the other integration tests submit it.
    Path jar = new JobSubmitter("SparkConnectIT", work.root()).jar();
    assertTrue(hasEntry(jar, EXTENSIONS.replace('.', '/') + ".class"), "no " + EXTENSIONS + " in " + jar);
    client = ConnectClient.compile(jar, work.root().resolve("client-classes"));
    Path plan = writePlan(work.root().resolve("plan.tsv"));

    server = ConnectServer.start(work.newDir("server"), List.of(
        "--jars", jar.toString(),
        "--conf", "spark.sql.extensions=" + EXTENSIONS,
        "--conf", "spark.sql.shuffle.partitions=2"), Duration.ofMinutes(3));
    run = client.run(List.of(server.url(), plan.toString()), work.newDir("client"), Duration.ofMinutes(10));
    for (JsonNode line : ConnectClient.jsonLines(run)) {
      String key = line.path("kind").asText() + "|" + line.path("case").asText("") + "|" + line.path("api").asText("");
      LINES.put(key, line);
    }
    DoubleSummaryStatistics queries = LINES.values().stream().filter(l -> l.has("seconds"))
        .mapToDouble(l -> l.get("seconds").asDouble()).summaryStatistics();
    System.out.printf(Locale.ROOT, "[SparkConnectIT] client exit %d after %.1f s: %d queries, %.1f s in all, mean %.3f s,"
        + " max %.2f s%n", run.exitCode(), run.seconds(), queries.getCount(), queries.getSum(), queries.getAverage(),
        queries.getMax());
  }

  @AfterAll
  static void stop() {
    try {
      if (server != null) {
        boolean stopped = server.stop();
        assertTrue(stopped, () -> "the Connect server is still running: " + server.stopReport());
        assertTrue(Loopback.isFree(server.port()), "port " + server.port() + " still taken after the stop");
      }
    } finally {
      if (work != null) {
        work.close();
      }
    }
  }

  static Stream<GoldenFiles.Case> cases() {
    return GoldenFiles.cases().stream();
  }

  static Stream<GoldenFiles.Running> running() {
    return GoldenFiles.running().stream();
  }

  // ------------------------------------------------------------------------------------------------------------

  @Test
  void everyGoldenCaseIsThere() {
    GoldenChecks.assertEveryGoldenIsRead();
  }

  /** The client ran to its end, as a Connect client, with nothing of classic Spark on its class path. */
  @Test
  void theClientIsAConnectClientOfItsOwn() {
    assertEquals(0, run.exitCode(), run::describe);
    assertNotNull(LINES.get("end||"), () -> "the client did not run to its end\n" + run.describe());
    JsonNode session = line("session", "", "");
    assertEquals("org.apache.spark.sql.connect.SparkSession", session.path("class").asText(), session::toString);
    assertEquals(1, session.path("one").asInt(), session::toString);
    assertTrue(session.path("serverVersion").asText().startsWith("4.2.0"), session::toString);
    // DESCRIBE FUNCTION through Connect: the extension registered the function in the client's server session.
    assertTrue(session.path("describeLayerNorm").asText().contains("layer_norm(tensor, shape[, eps[, weight, bias]])"),
        session::toString);

    List<String> names = client.classPath().stream().map(p -> p.getFileName().toString()).toList();
    assertTrue(names.stream().anyMatch(n -> n.startsWith("spark-connect-client-jvm_2.13-4.2.0")), names::toString);
    for (String classic : List.of("spark-core_", "spark-sql_", "spark-catalyst_", "spark-connect_", "spark-mllib_")) {
      assertFalse(names.stream().anyMatch(n -> n.startsWith(classic)), () -> classic + " on the client's class path: "
          + names);
    }
  }

  /** The script exec'ed Spark's JVM (the process id is the server's), which started nothing, and binds loopback only. */
  @Test
  void theServerIsOneJvmOnLoopback() {
    assertTrue(server.isAlive(), server::tail);
    assertTrue(server.isJava(), () -> "pid " + server.pid() + " runs " + server.jvmCommand());
    assertEquals(List.of(), server.descendants(), "processes started by the server JVM");
    InetAddress outside = nonLoopbackAddress();
    assumeTrue(outside != null, "no non-loopback address on this machine to try");
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(outside, server.port()), 2000);
      throw new AssertionError("the Connect server accepts connections on " + outside + ":" + server.port());
    } catch (IOException expected) {
      // refused: bound to 127.0.0.1 only
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void goldenCaseThroughSqlAndDataFrameApi(GoldenFiles.Case c) {
    for (String api : List.of("sql", "dataframe")) {
      if (c.isBatch()) {
        checkStatistics(c, api);
      }
      checkRows(c.name(), api, c.isDouble(), c.output(), c.exactOutput());
    }
  }

  /** PyTorch's eval mode: batch_norm with the running mean and var after the last batch, on the last batch. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("running")
  void runningStatisticsThroughSqlAndDataFrameApi(GoldenFiles.Running r) {
    for (String api : List.of("sql", "dataframe")) {
      checkRows(r.name(), api, r.isDouble(), r.evalOutput(), null);
    }
  }

  /** An invalid tensor fails the query; the Connect client gets the function's message. */
  @Test
  void anInvalidTensorFailsTheQueryWithTheFunctionsMessage() {
    JsonNode sql = line("output", "invalid-tensor", "sql");
    assertTrue(sql.has("failure"), () -> "layer_norm of a tensor of length 2 for shape '3' did not fail: " + sql);
    String message = sql.path("message").asText();
    assertTrue(message.contains("layer_norm: tensor argument") && message.contains("does not match shape (3,)")
        && message.contains("try_layer_norm returns NULL"), () -> sql.path("failure").asText() + ": " + message);
  }

  /** try_layer_norm gives NULL for the invalid row and normalizes the valid one, through SQL and the DataFrame API. */
  @Test
  void theTryTwinGivesNullForAnInvalidTensor() {
    for (String api : List.of("sql", "dataframe")) {
      JsonNode out = line("output", "invalid-tensor-try", api);
      assertFalse(out.has("failure"), out::toString);
      assertEquals("[0,1]", out.path("ids").toString(), out::toString);
      assertTrue(out.path("values").get(0).isNull(), () -> "row 0 (2 values for shape 3) is not NULL: " + out);
      double[] row1 = TestSpark.doubles(out.path("values").get(1));
      double s = Math.sqrt(2.0 / 3.0 + 1e-5);
      assertArrayClose(new double[] {-1 / s, 0, 1 / s}, row1, 1e-12, out.toString());
      assertEquals("array<double>", out.path("type").asText(), out::toString);
    }
  }

  /** A PyTorch refusal (groups not dividing the channels) fails the query before it runs, through both APIs. */
  @Test
  void aRefusedArgumentFailsTheQuery() {
    for (String api : List.of("sql", "dataframe")) {
      JsonNode out = line("output", "groups-not-dividing", api);
      assertTrue(out.has("failure"), () -> "group_norm with 2 groups of 3 channels did not fail: " + out);
      assertTrue(out.path("message").asText().contains("group_norm"), out::toString);
    }
  }

  // ------------------------------------------------------------------------------------------------------------

  /** The plan for the client (format in ConnectClientCheck): every golden case, then the running statistics. */
  private static Path writePlan(Path file) {
    StringBuilder plan = new StringBuilder();
    for (GoldenFiles.Case c : GoldenFiles.cases()) {
      plan.append(String.join("\t", "case", c.name(), c.method().id(), c.isDouble() ? "double" : "float",
          c.shapeArg(), c.groups() > 0 ? Integer.toString(c.groups()) : "-", Double.toString(c.eps()), csv(c.weight()),
          csv(c.bias()))).append('\n');
      appendRows(plan, c.input(), c.isDouble());
    }
    for (GoldenFiles.Running r : GoldenFiles.running()) {
      int last = r.batches().size() - 1;
      plan.append(String.join("\t", "running", r.name(), r.isDouble() ? "double" : "float", r.shapeArg(),
          Double.toString(r.eps()), csv(r.runningMean().get(last)), csv(r.runningVar().get(last)), csv(r.weight()),
          csv(r.bias()))).append('\n');
      appendRows(plan, r.batches().get(last), r.isDouble());
    }
    try {
      return Files.writeString(file, plan, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void appendRows(StringBuilder plan, double[][] rows, boolean isDouble) {
    for (double[] row : rows) {
      if (!isDouble) {
        for (double v : row) {
          assertEquals(v, (float) v, 0.0, "a float32 golden value that is no float: " + v);
        }
      }
      plan.append("row\t").append(csv(row)).append('\n');
    }
  }

  private static String csv(double[] values) {
    return values == null ? "-" : Arrays.stream(values).mapToObj(Double::toString).collect(Collectors.joining(","));
  }

  private static JsonNode line(String kind, String name, String api) {
    JsonNode line = LINES.get(kind + "|" + name + "|" + api);
    assertNotNull(line, () -> "no " + kind + " of " + name + " " + api + " from the client\n" + run.describe());
    return line;
  }

  /** One output line: no failure, the element type of the input, rows 0..n-1, every value within tolerance. */
  private static void checkRows(String name, String api, boolean isDouble, double[][] torch, double[][] exact) {
    JsonNode out = line("output", name, api);
    assertFalse(out.has("failure"), () -> name + " " + api + " failed on the server: " + out.path("failure").asText()
        + ": " + out.path("message").asText());
    assertEquals(isDouble ? "array<double>" : "array<float>", out.path("type").asText(),
        () -> name + " " + api + ": output type");
    JsonNode ids = out.path("ids");
    JsonNode values = out.path("values");
    assertEquals(torch.length, ids.size(), () -> name + " " + api + ": rows out");
    double[][] got = new double[ids.size()][];
    for (int i = 0; i < got.length; i++) {
      assertEquals(i, ids.get(i).asLong(), name + " " + api + ": row order");
      assertFalse(values.get(i).isNull(), name + " " + api + ": row " + i + " is NULL");
      got[i] = TestSpark.doubles(values.get(i));
      for (int j = 0; j < got[i].length; j++) {
        assertTrue(isDouble || (double) (float) got[i][j] == got[i][j],
            name + " " + api + ": row " + i + " [" + j + "] " + got[i][j] + " is no float");
      }
    }
    GoldenChecks.assertRows(name + " " + api, isDouble, torch, exact, got);
  }

  /** batch_norm_stats through one API against the golden statistics. */
  private static void checkStatistics(GoldenFiles.Case c, String api) {
    JsonNode st = line("statistics", c.name(), api);
    assertFalse(st.has("failure"), () -> c.name() + " " + api + ": batch_norm_stats failed: "
        + st.path("failure").asText() + ": " + st.path("message").asText());
    assertTrue(st.path("type").asText().startsWith(
        "struct<count:bigint,mean:array<double>,var:array<double>,var_unbiased:array<double>"), st::toString);
    GoldenChecks.assertStatistics(c, st, c.name() + " " + api + " batch_norm_stats");
  }

  private static void assertArrayClose(double[] expected, double[] got, double tol, String what) {
    assertEquals(expected.length, got.length, what);
    for (int i = 0; i < got.length; i++) {
      assertTrue(Math.abs(expected[i] - got[i]) <= tol, "[" + i + "] " + got[i] + ", expected " + expected[i] + ": "
          + what);
    }
  }

  private static boolean hasEntry(Path jar, String entry) {
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      return zip.getEntry(entry) != null;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** An IPv4 address of this machine that is not loopback, or null. */
  private static InetAddress nonLoopbackAddress() {
    try {
      return NetworkInterface.networkInterfaces()
          .filter(nic -> {
            try {
              return nic.isUp() && !nic.isLoopback();
            } catch (SocketException e) {
              return false;
            }
          })
          .flatMap(NetworkInterface::inetAddresses)
          .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress())
          .findFirst().orElse(null);
    } catch (SocketException e) {
      return null;
    }
  }
}
