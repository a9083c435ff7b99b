package io.sparknorm.runner;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;

/**
 * The test JVM's own small Spark (Spark is on local-runner's test class path): writes inputs with exact element
 * types (array&lt;float&gt;, array&lt;double&gt;, ...) and reads the job's Parquet outputs. Also reads JSON-lines
 * outputs with Jackson, keeping every number's text (as BigDecimal) to tell float output from double output.
 */
final class TestSpark {

  /** Numbers as BigDecimal: exact text of each value as Spark wrote it. */
  static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

  private TestSpark() {
  }

  static SparkSession start(String appName) {
    return start(SparkSession.builder().appName(appName));
  }

  /**
   * A session that also reads and writes Delta tables by path ({@code delta.`PATH`}, {@code DESCRIBE HISTORY}, time
   * travel): Delta's extension and catalog, with the Delta jars that local-runner's tests have on their class path.
   */
  static SparkSession startWithDelta(String appName) {
    return start(SparkSession.builder().appName(appName)
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog"));
  }

  private static SparkSession start(SparkSession.Builder builder) {
    SparkSession spark = builder
        .master("local[1]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.driver.host", "127.0.0.1")
        // Its catalog's folder (made at the first catalog access) under target/, not in the working directory.
        .config("spark.sql.warehouse.dir", Path.of("target", "test-spark-warehouse").toAbsolutePath().toString())
        .getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    return spark;
  }

  static void stop(SparkSession spark) {
    if (spark != null) {
      spark.stop();
    }
  }

  /** Writes rows in one file (one partition: row order is file order) in the given format. */
  static void write(SparkSession spark, List<Row> rows, StructType schema, String format, Path path) {
    spark.createDataFrame(rows, schema).coalesce(1).write().format(format).save(path.toString());
  }

  static Dataset<Row> readParquet(SparkSession spark, Path path) {
    return spark.read().parquet(path.toString());
  }

  static DataType elementType(StructType schema, String column) {
    DataType type = schema.apply(column).dataType();
    return type instanceof ArrayType array ? array.elementType() : type;
  }

  /** The part files of a JSON output folder, each line parsed (numbers as BigDecimal). */
  static List<JsonNode> readJsonLines(Path folder) {
    List<JsonNode> rows = new ArrayList<>();
    try (Stream<Path> files = Files.list(folder)) {
      for (Path file : files.filter(p -> p.getFileName().toString().startsWith("part-")).sorted().toList()) {
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
          if (!line.isBlank()) {
            rows.add(JSON.readTree(line));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return rows;
  }

  static JsonNode readJson(Path file) {
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A JSON array node's numbers as doubles. */
  static double[] doubles(JsonNode array) {
    double[] v = new double[array.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = array.get(i).asDouble();
    }
    return v;
  }

  /** A Row's array cell (List of Float or Double) as doubles, or null. */
  static double[] doubles(Row row, String column) {
    int i = row.fieldIndex(column);
    if (row.isNullAt(i)) {
      return null;
    }
    List<Object> list = row.getList(i);
    double[] v = new double[list.size()];
    for (int j = 0; j < v.length; j++) {
      v[j] = ((Number) list.get(j)).doubleValue();
    }
    return v;
  }

  static void writeString(Path file, String text) {
    try {
      Files.writeString(file, text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
