package io.sparknorm.job;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Runs SQL statements with sparknorm's functions and prints their results: a small stand-in for
 * Spark's {@code spark-sql} shell, which needs Hive. Files become views first.
 *
 * <pre>
 *   spark-submit --conf spark.sql.extensions=io.sparknorm.sql.SparknormExtensions \
 *     --class io.sparknorm.job.RunSql sparknorm-job.jar --view digits=data/digits.jsonl \
 *     "SELECT label, group_norm(features, '1,8,8', 1) FROM digits LIMIT 3"
 * </pre>
 *
 * Options: {@code --view NAME=PATH} (format from the extension, as the job reads it), then one or
 * more statements. Exit status 0, or 1 with one {@code error:} line.
 */
public final class RunSql {
  private RunSql() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    List<String[]> views = new ArrayList<>();
    List<String> statements = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--view") && i + 1 < args.length && args[i + 1].contains("=")) {
        views.add(args[++i].split("=", 2));
      } else if (args[i].startsWith("--")) {
        err.println("error: unknown option " + args[i] + "; usage: RunSql [--view NAME=PATH]... STATEMENT...");
        return 2;
      } else {
        statements.add(args[i]);
      }
    }
    if (statements.isEmpty()) {
      err.println("error: give at least one SQL statement; usage: RunSql [--view NAME=PATH]... STATEMENT...");
      return 2;
    }
    SparkSession spark = SparkSession.builder().appName("sparknorm sql").getOrCreate();
    spark.sparkContext().setLogLevel("WARN");
    try {
      for (String[] view : views) {
        Formats.read(spark, Formats.fromExtension(view[1]), view[1]).createOrReplaceTempView(view[0]);
      }
      for (String statement : statements) {
        Dataset<Row> result = spark.sql(statement);
        out.println(String.join("\t", result.columns()));
        for (Row row : result.collectAsList()) {
          List<String> cells = new ArrayList<>();
          for (int i = 0; i < row.size(); i++) {
            cells.add(String.valueOf(row.get(i) instanceof scala.collection.Seq<?> seq
                ? scala.jdk.javaapi.CollectionConverters.asJava(seq) : row.get(i)));
          }
          out.println(String.join("\t", cells));
        }
      }
      return 0;
    } catch (RuntimeException e) {
      err.println("error: " + io.sparknorm.spark.TensorNormalization.describeFailure(e, null));
      return 1;
    } finally {
      spark.stop();
    }
  }
}
