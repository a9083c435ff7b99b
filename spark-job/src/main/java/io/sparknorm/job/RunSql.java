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
 * more statements. Each result is printed as tab-separated lines: the column names, then one line a row
 * (arrays as {@code [a, b, c]}). Exit status 0; 1 with one {@code error:} line when a view or a
 * statement fails (the statements before it have printed their results); 2 for a wrong command line,
 * before Spark starts.
 */
public final class RunSql {
  private static final String USAGE = "RunSql [--view NAME=PATH]... STATEMENT...";

  private RunSql() {}

  /** Returns on success (see {@link NormalizeJob#main}), exits the JVM with the status on a failure. */
  public static void main(String[] args) {
    int status = run(args, System.out, System.err);
    if (status != 0) {
      System.exit(status);
    }
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    List<String[]> views = new ArrayList<>();
    List<String> statements = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--view")) {
        String view = i + 1 < args.length ? args[++i] : "";
        int eq = view.indexOf('=');
        if (eq <= 0 || eq == view.length() - 1) {
          err.println("error: --view takes NAME=PATH, got '" + view + "'; usage: " + USAGE);
          return 2;
        }
        views.add(new String[] {view.substring(0, eq), view.substring(eq + 1)});
      } else if (args[i].startsWith("--")) {
        err.println("error: unknown option " + args[i] + "; usage: " + USAGE);
        return 2;
      } else {
        statements.add(args[i]);
      }
    }
    if (statements.isEmpty()) {
      err.println("error: give at least one SQL statement; usage: " + USAGE);
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
    } catch (Exception e) {
      // Spark's AnalysisException (an unknown column, a missing file) is a checked exception to Java.
      err.println("error: " + io.sparknorm.spark.TensorNormalization.describeFailure(e, null));
      return 1;
    } finally {
      spark.stop();
    }
  }
}
