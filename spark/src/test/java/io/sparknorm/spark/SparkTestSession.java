package io.sparknorm.spark;

import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * The local Spark session of the in-process tests: two cores, a task may fail once and be retried
 * (as on a cluster), no UI, few shuffle partitions, and sparknorm's SQL functions registered.
 */
public final class SparkTestSession {
  private SparkTestSession() {}

  public static SparkSession start() {
    return start(Map.of());
  }

  /** The same session with more settings, e.g. a shorter {@code spark.executor.heartbeatInterval}. */
  public static SparkSession start(Map<String, String> settings) {
    SparkSession.Builder builder = SparkSession.builder()
        .master("local[2,2]")
        .appName("sparknorm-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.extensions", "io.sparknorm.sql.SparknormExtensions");
    settings.forEach(builder::config);
    return builder.getOrCreate();
  }
}
