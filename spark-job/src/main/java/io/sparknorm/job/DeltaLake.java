package io.sparknorm.job;

import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkThrowable;
import org.apache.spark.sql.SparkSession;

/**
 * What the job knows of Delta Lake without loading any of its classes: a cluster provides Delta (it is not in the job
 * jar), so the job must run, and word its errors, where Delta is absent. Classes are looked up by name only.
 */
final class DeltaLake {
  private DeltaLake() {}

  /** The Delta release tested with this Spark (the parent pom's delta.artifact and delta.version). */
  static final String PACKAGE = "io.delta:delta-spark_4.2_2.13:4.4.0";
  static final String JARS = "delta-spark_4.2_2.13-4.4.0.jar,delta-storage-4.4.0.jar";
  static final String EXTENSION = "io.delta.sql.DeltaSparkSessionExtension";
  static final String CATALOG = "org.apache.spark.sql.delta.catalog.DeltaCatalog";
  static final String CONF = "--conf spark.sql.extensions=" + EXTENSION + ",io.sparknorm.sql.SparknormExtensions"
      + " --conf spark.sql.catalog.spark_catalog=" + CATALOG;

  /** Delta's base class of the commits it rejects because another writer committed first. */
  private static final String CONFLICT = "org.apache.spark.sql.delta.DeltaConcurrentModificationException";

  /**
   * Fails unless Delta is on the class path and configured in the session (its extension and its catalog).
   *
   * @param asked the option that needs Delta, for the message: "--output-format delta"
   * @throws IllegalArgumentException saying which spark-submit options to add
   */
  static void require(SparkSession spark, String asked, ClassLoader loader) {
    try {
      Class.forName(EXTENSION, false, loader);
    } catch (ClassNotFoundException | LinkageError e) {
      throw new IllegalArgumentException(asked + " needs Delta Lake, which is not on the class path: add --packages "
          + PACKAGE + " (or --jars " + JARS + ") and " + CONF);
    }
    boolean extension = java.util.Arrays.stream(spark.conf().get("spark.sql.extensions", "").split(","))
        .map(String::strip).anyMatch(EXTENSION::equals);
    boolean catalog = CATALOG.equals(spark.conf().get("spark.sql.catalog.spark_catalog", ""));
    if (!extension || !catalog) {
      throw new IllegalArgumentException(asked + " needs Delta Lake's extension and catalog in the session, which are"
          + " not configured: add " + CONF);
    }
  }

  static ClassLoader loader() {
    ClassLoader context = Thread.currentThread().getContextClassLoader();
    return context != null ? context : DeltaLake.class.getClassLoader();
  }

  /**
   * Whether {@code path} holds a Delta table: a commit in its {@code _delta_log} folder. The folder alone is not one:
   * Delta makes it (and {@code _staged_commits} in it) before a first commit, which may then fail.
   */
  static boolean isTable(Path path, Configuration conf) throws IOException {
    FileSystem fs = path.getFileSystem(conf);
    Path log = new Path(path, "_delta_log");
    if (!fs.exists(log) || !fs.getFileStatus(log).isDirectory()) {
      return false;
    }
    for (FileStatus entry : fs.listStatus(log)) {
      String name = entry.getPath().getName();
      if (name.matches("\\d{20}\\.json") || name.matches("\\d{20}\\.checkpoint.*") || name.equals("_last_checkpoint")) {
        return true;
      }
    }
    return false;
  }

  /**
   * Where a Delta catalog table's files are ({@code DESCRIBE DETAIL}'s location), or where a new one goes: beside the
   * database's other tables.
   */
  static String location(SparkSession spark, String table) {
    if (spark.catalog().tableExists(table)) {
      return spark.sql("DESCRIBE DETAIL " + table).select("location").first().getString(0);
    }
    String[] parts = table.split("\\.");
    String database = parts.length > 1 ? parts[parts.length - 2] : spark.catalog().currentDatabase();
    try {
      return new Path(spark.catalog().getDatabase(database).locationUri(), parts[parts.length - 1]).toString();
    } catch (org.apache.spark.sql.AnalysisException e) {
      throw new IllegalArgumentException("output table " + table + ": " + e.getMessage(), e);
    }
  }

  /** The bytes of a Delta table's current version ({@code DESCRIBE DETAIL}), by name or as {@code delta.`PATH`}. */
  static long bytes(SparkSession spark, String table) {
    return spark.sql("DESCRIBE DETAIL " + table).select("sizeInBytes").first().getLong(0);
  }

  /** A Delta table at a path, as SQL names it. */
  static String atPath(String path) {
    return "delta.`" + path.replace("`", "``") + "`";
  }

  /**
   * The job's wording of a commit that Delta (or the catalog) refused because another job wrote the same table while
   * this one ran, or null when the failure is something else. Looks at class names through each cause's superclasses,
   * so that no Delta class is loaded.
   *
   * @param what the output as the user named it: "output /t", "output table db.t"
   */
  static String conflict(Throwable failure, String what) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      for (Class<?> c = t.getClass(); c != null; c = c.getSuperclass()) {
        if (c.getName().equals(CONFLICT)) {
          return what + ": another job committed to this Delta table while this job ran ("
              + t.getClass().getSimpleName() + "); nothing of this run was committed";
        }
      }
      if (t instanceof SparkThrowable spark && spark.getCondition() != null
          && (spark.getCondition().equals("DELTA_PATH_EXISTS")
              || spark.getCondition().equals("TABLE_OR_VIEW_ALREADY_EXISTS"))) {
        return what + ": another job created this table while this job ran (" + spark.getCondition()
            + "); nothing of this run was committed (give --overwrite or --append to write to it)";
      }
    }
    return null;
  }
}
