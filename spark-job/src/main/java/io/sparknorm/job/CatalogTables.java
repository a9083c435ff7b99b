package io.sparknorm.job;

import java.io.IOException;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** What the job asks the session's catalog about a table, by the name the user gave ({@code [db.]name}). */
final class CatalogTables {
  private CatalogTables() {}

  static boolean exists(SparkSession spark, String name) {
    return spark.catalog().tableExists(name);
  }

  static boolean isView(SparkSession spark, String name) {
    String type;
    try {
      type = spark.catalog().getTable(name).tableType();
    } catch (AnalysisException e) {
      throw new IllegalArgumentException("table " + name + ": " + e.getMessage(), e);
    }
    return type != null && (type.equalsIgnoreCase("VIEW") || type.equalsIgnoreCase("TEMPORARY"));
  }

  /**
   * Refuses, before any data is read, an output table that the run must not write: a view, an existing table
   * without --overwrite or --append, a table of another format than the run writes (Delta or not).
   */
  static void checkOutput(SparkSession spark, String name, String format, boolean overwrite, boolean append) {
    if (!exists(spark, name)) {
      return;
    }
    String what = "output table " + name;
    if (isView(spark, name)) {
      throw new IllegalArgumentException(what + " is a view; give a table");
    }
    if (!overwrite && !append) {
      throw new IllegalArgumentException(what + " already exists; give --overwrite to " + (format.equals("delta")
          ? "write a new version of it" : "replace its rows") + " or --append to add rows");
    }
    String provider = describe(spark, name, "Provider");
    provider = provider == null ? null : provider.toLowerCase(Locale.ROOT);
    // A Hive table takes Spark's file formats through its own serde: left to Spark to match.
    if (provider != null && !provider.equals(format) && (format.equals("delta") || !provider.equals("hive"))) {
      throw new IllegalArgumentException(what + " is stored as " + provider + ", not " + format
          + ": give --output-format " + provider + " (--overwrite and --append keep a table's format)");
    }
  }

  /**
   * The bytes of the table's data: Delta's current version, or everything under the table's location; 0 for a view
   * or where the catalog tells no location.
   */
  static long bytes(SparkSession spark, String name, Configuration conf) {
    try {
      if ("delta".equalsIgnoreCase(describe(spark, name, "Provider"))) {
        return DeltaLake.bytes(spark, name);
      }
      String location = describe(spark, name, "Location");
      if (location == null) {
        return 0;
      }
      Path path = new Path(location);
      return path.getFileSystem(conf).getContentSummary(path).getLength();
    } catch (IOException | RuntimeException unknown) {
      return 0;
    }
  }

  /** One row of {@code DESCRIBE TABLE EXTENDED}, e.g. "Provider" or "Location"; null when it has none. */
  private static String describe(SparkSession spark, String name, String key) {
    for (Row row : spark.sql("DESCRIBE TABLE EXTENDED " + name).collectAsList()) {
      if (key.equals(row.getString(0))) {
        String value = row.getString(1);
        return value == null || value.isBlank() ? null : value.strip();
      }
    }
    return null;
  }
}
