package io.sparknorm.job;

import io.sparknorm.spark.LocalSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the in-process tests of the job's hostile inputs share: one Spark session per class (the job finds and uses
 * it), a temporary folder per test, and in it an empty {@code results} folder for the output and statistics, which a
 * failed run must leave empty ({@link JobRun}).
 */
@ExtendWith(LocalSpark.class)
abstract class JobTestSupport {
  static SparkSession spark;

  @TempDir
  Path dir;
  Path results;

  @BeforeEach
  void makeResultsFolder() throws IOException {
    results = Files.createDirectories(dir.resolve("results"));
  }
}
