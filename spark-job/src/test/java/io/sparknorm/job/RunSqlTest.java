package io.sparknorm.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.core.Affine;
import io.sparknorm.core.Normalizers;
import io.sparknorm.core.Shape;
import io.sparknorm.spark.SparkTestSession;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RunSql}: files as views, each statement's result as tab-separated lines, one {@code error:} line and exit 1
 * when a view or a statement fails, exit 2 for a wrong command line before any Spark starts. RunSql stops the session
 * it ran in, as its {@code main} must: every run here gets a session of its own.
 */
class RunSqlTest {
  private static final String USAGE = "usage: RunSql [--view NAME=PATH]... STATEMENT...";

  @TempDir
  Path dir;

  private Path digits;

  /** What one run printed and returned. */
  private record Run(int exit, List<String> out, List<String> err) {}

  @BeforeEach
  void writeInput() throws IOException {
    digits = dir.resolve("t.jsonl");
    Files.write(digits, List.of("{\"id\": 0, \"features\": [1.0, 2.0, 4.0]}",
        "{\"id\": 1, \"features\": [-3.0, 0.5, 7.0]}"));
  }

  /** Runs RunSql; with {@code inSpark}, in a new local session of the tests' kind, which RunSql stops. */
  private static Run run(boolean inSpark, String... args) {
    SparkSession spark = inSpark ? SparkTestSession.start() : null;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = RunSql.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    if (spark != null) {
      assertTrue(spark.sparkContext().isStopped(), "RunSql left its session running");
    }
    return new Run(exit, out.toString(StandardCharsets.UTF_8).lines().toList(),
        err.toString(StandardCharsets.UTF_8).lines().toList());
  }

  private static String layer(double... x) {
    return Arrays.toString(Normalizers.layer(Shape.of(x.length), 1e-5, Affine.none()).apply(x));
  }

  @Test
  void printsEachStatementsResultOverTheViews() {
    Run run = run(true, "--view", "t=" + digits, "SELECT id, layer_norm(features, '3') AS y FROM t ORDER BY id",
        "SELECT count(*) AS n, max(id) AS last FROM t");
    assertEquals(0, run.exit(), String.join("\n", run.err()));
    assertEquals(List.of("id\ty", "0\t" + layer(1, 2, 4), "1\t" + layer(-3, 0.5, 7), "n\tlast", "2\t1"), run.out());
  }

  @Test
  void aFailingStatementIsOneErrorLineAfterTheResultsBeforeIt() {
    Run run = run(true, "--view", "t=" + digits, "SELECT count(*) AS n FROM t",
        "SELECT layer_norm(features, '4') FROM t");
    assertEquals(1, run.exit());
    assertEquals("n", run.out().get(0));
    assertEquals("2", run.out().get(1));
    assertEquals(1, run.err().stream().filter(l -> l.startsWith("error: ")).count(), String.join("\n", run.err()));
    String error = run.err().stream().filter(l -> l.startsWith("error: ")).findFirst().orElseThrow();
    assertTrue(error.contains("tensor of length 3 does not match shape (4,)"), error);
  }

  @Test
  void anUnknownColumnOrAMissingFileIsOneErrorLine() {
    Run unknown = run(true, "--view", "t=" + digits, "SELECT nope FROM t");
    assertEquals(1, unknown.exit());
    assertEquals(1, unknown.err().size(), String.join("\n", unknown.err()));
    assertTrue(unknown.err().get(0).startsWith("error: ") && unknown.err().get(0).contains("nope"),
        unknown.err().get(0));

    Path missing = dir.resolve("missing.jsonl");
    Run notThere = run(true, "--view", "m=" + missing, "SELECT * FROM m");
    assertEquals(1, notThere.exit());
    assertEquals(List.of(), notThere.out());
    assertEquals(1, notThere.err().size(), String.join("\n", notThere.err()));
    assertTrue(notThere.err().get(0).startsWith("error: ") && notThere.err().get(0).contains("missing.jsonl"),
        notThere.err().get(0));
  }

  @Test
  void aWrongCommandLineIsExitTwoBeforeSparkStarts() {
    assertTrue(noSparkRunning(), "a Spark session from an earlier test is still running");
    assertEquals(new Run(2, List.of(), List.of("error: unknown option --nope; " + USAGE)),
        run(false, "--nope", "SELECT 1"));
    assertEquals(new Run(2, List.of(), List.of("error: give at least one SQL statement; " + USAGE)),
        run(false, "--view", "t=" + digits));
    assertEquals(new Run(2, List.of(), List.of("error: --view takes NAME=PATH, got 'SELECT 1'; " + USAGE)),
        run(false, "--view", "SELECT 1"));
    assertEquals(new Run(2, List.of(), List.of("error: --view takes NAME=PATH, got ''; " + USAGE)),
        run(false, "SELECT 1", "--view"));
    assertTrue(noSparkRunning(), "RunSql started Spark for a wrong command line");
  }

  private static boolean noSparkRunning() {
    return SparkSession.getDefaultSession().forall(s -> s.sparkContext().isStopped())
        && SparkSession.getActiveSession().forall(s -> s.sparkContext().isStopped());
  }
}
