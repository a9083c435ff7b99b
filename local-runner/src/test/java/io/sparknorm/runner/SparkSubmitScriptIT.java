package io.sparknorm.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.testing.ChildProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checked-in {@code local-runner/spark-submit} script on the runtime that the package phase assembled in
 * {@code target/spark-home}: Spark's real launcher answers, and failures come back as non-zero exit codes.
 */
class SparkSubmitScriptIT {

  private static final String SPARK_VERSION = "4.2.0";

  private final SparkSubmitProcess submit = new SparkSubmitProcess(Duration.ofMinutes(2));

  @Test
  void versionNamesTheSparkOfTheBuild() {
    ChildProcess.Result result = submit.run("--version");

    assertEquals(0, result.exitCode(), result::describe);
    assertTrue(result.output().contains("version " + SPARK_VERSION), result::describe);
    assertTrue(result.output().contains("Using Scala version 2.13"), result::describe);
  }

  @Test
  void noArgumentsIsAUsageError() {
    ChildProcess.Result result = submit.run();

    assertNotEquals(0, result.exitCode(), result::describe);
    assertTrue(result.stderr().contains("Usage: spark-submit"), result::describe);
  }

  @Test
  void aMissingApplicationJarFails(@TempDir Path dir) {
    Path missing = dir.resolve("no-such-app.jar");

    ChildProcess.Result result = submit.run(
        "--master", "local[1]", "--conf", "spark.ui.enabled=false",
        "--class", "io.sparknorm.NoSuchApp", missing.toString());

    assertNotEquals(0, result.exitCode(), result::describe);
    assertTrue(result.stderr().contains("NoSuchApp"), result::describe);
  }

  @Test
  void aMissingRuntimeIsReportedAsAnError(@TempDir Path dir) throws Exception {
    Path emptyHome = Files.createDirectory(dir.resolve("spark-home"));

    ChildProcess.Result result = submit
        .withEnv("SPARKNORM_SPARK_HOME", emptyHome.toString())
        .run("--version");

    assertEquals(1, result.exitCode(), result::describe);
    assertTrue(result.stderr().startsWith("error: "), result::describe);
    assertTrue(result.stderr().contains(emptyHome.toString()), result::describe);
  }
}
