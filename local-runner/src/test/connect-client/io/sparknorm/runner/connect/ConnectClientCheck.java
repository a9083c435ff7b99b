package io.sparknorm.runner.connect;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.struct;

import io.sparknorm.sql.functions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A Spark Connect client application of sparknorm's SQL functions: its class path is only Spark's Connect JVM client
 * (spark-connect-client-jvm with its dependencies) and the job jar, for {@code io.sparknorm.sql.functions}.
 *
 * <pre>
 *   java -cp 'connect-client/*:sparknorm-job.jar:classes' io.sparknorm.runner.connect.ConnectClientCheck sc://127.0.0.1:15002 plan.tsv
 * </pre>
 *
 * <p>It connects to the server, checks that the session is a Connect session, then runs every case of the plan (a
 * file written by SparkConnectIT from PyTorch's golden files) through SQL ({@code spark.sql}) and through the
 * DataFrame API, and prints one JSON object per result line on standard output; SparkConnectIT compares the numbers.
 * A query that fails is printed as {@code {"kind":"failure",...}} and the program goes on; the exit status is 0 when
 * the program ran to its end, whatever the queries gave.
 *
 * <p>The plan, one record per line, fields separated by tabs, numbers as Java prints a double (exact round trip):
 * <pre>
 *   case     NAME  METHOD  float|double  SHAPE  GROUPS|-  EPS  WEIGHT|-  BIAS|-     per-sample or batch norm
 *   running  NAME  float|double  SHAPE  EPS  MEAN  VAR  WEIGHT|-  BIAS|-             batch norm with given statistics
 *   row      V1,V2,...                                                               a sample of the record above
 * </pre>
 * Array fields are comma-separated. Rows are numbered from 0 in order; every result is ordered by that number.
 */
public final class ConnectClientCheck {

  private static final double DEFAULT_EPS = 1e-5;

  private final SparkSession spark;
  private int views;

  private ConnectClientCheck(SparkSession spark) {
    this.spark = spark;
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 1 || args.length > 2) {
      System.err.println("usage: ConnectClientCheck sc://HOST:PORT [PLAN]");
      System.exit(2);
    }
    try (SparkSession spark = SparkSession.builder().remote(args[0]).getOrCreate()) {
      ConnectClientCheck check = new ConnectClientCheck(spark);
      check.session();
      if (args.length == 2) {
        check.plan(Files.readAllLines(Path.of(args[1]), StandardCharsets.UTF_8));
        check.errors();
      }
    }
    System.out.println(new Json().put("kind", "end").toString());
  }

  /** The kind of session, the server's Spark version, a built-in function, and DESCRIBE FUNCTION of ours. */
  private void session() {
    Row row = spark.sql("SELECT abs(-1) AS one, version() AS version").first();
    List<String> described = spark.sql("DESCRIBE FUNCTION EXTENDED layer_norm").collectAsList().stream()
        .map(r -> r.getString(0)).toList();
    System.out.println(new Json().put("kind", "session").put("class", spark.getClass().getName())
        .put("version", spark.version()).put("serverVersion", row.getString(1)).put("one", row.getInt(0))
        .put("describeLayerNorm", String.join("\n", described)).toString());
  }

  // ------------------------------------------------------------------------------------------------------------

  /** A case or a running-statistics record of the plan, with its rows. */
  private record Item(String[] header, List<double[]> rows) {
  }

  private void plan(List<String> lines) {
    List<Item> items = new ArrayList<>();
    for (String line : lines) {
      if (line.isBlank()) {
        continue;
      }
      String[] fields = line.split("\t", -1);
      if (fields[0].equals("row")) {
        items.get(items.size() - 1).rows().add(doubles(fields[1]));
      } else {
        items.add(new Item(fields, new ArrayList<>()));
      }
    }
    for (Item item : items) {
      String[] h = item.header();
      if (h[0].equals("case")) {
        testCase(h[1], h[2], h[3].equals("double"), h[4], h[5].equals("-") ? 0 : Integer.parseInt(h[5]),
            Double.parseDouble(h[6]), optionalDoubles(h[7]), optionalDoubles(h[8]), item.rows());
      } else if (h[0].equals("running")) {
        running(h[1], h[2].equals("double"), h[3], Double.parseDouble(h[4]), doubles(h[5]), doubles(h[6]),
            optionalDoubles(h[7]), optionalDoubles(h[8]), item.rows());
      } else {
        throw new IllegalArgumentException("unknown plan record " + h[0]);
      }
    }
  }

  /** A golden case: per-sample methods through SQL and the DataFrame API; batch norm with its statistics. */
  private void testCase(String name, String method, boolean isDouble, String shape, int groups, double eps,
              double[] weight, double[] bias, List<double[]> samples) {
    Dataset<Row> df = frame(samples, isDouble);
    String view = view(df);
    boolean affine = weight != null || bias != null;
    // Three forms of each function: (tensor, shape[, groups]) when eps is the default and there is no affine,
    // (..., eps) without affine, (..., eps, weight, bias) with NULL for a missing weight or bias.
    int form = affine ? 3 : eps == DEFAULT_EPS ? 1 : 2;

    if (!method.equals("batch")) {
      String fn = method + "_norm";
      String groupsSql = method.equals("group") ? ", " + groups : "";
      String argsSql = "features, '" + shape + "'" + groupsSql + tail(form, eps, weight, bias);
      output(name, "sql", () -> spark.sql("SELECT row, " + fn + "(" + argsSql + ") AS out FROM " + view
          + " ORDER BY row"));
      output(name, "dataframe", () -> df.select(col("row"),
          perSample(method, col("features"), shape, groups, form, eps, weight, bias).as("out")).orderBy("row"));
      return;
    }

    // Batch norm. SQL: the statistics as a scalar subquery; DataFrame API: a cross join with the aggregate.
    String statsSql = "SELECT batch_norm_stats(features, '" + shape + "') AS st FROM " + view;
    statistics(name, "sql", () -> spark.sql(statsSql));
    output(name, "sql", () -> spark.sql("SELECT row, batch_norm(features, (" + statsSql + ")"
        + tail(form, eps, weight, bias) + ") AS out FROM " + view + " ORDER BY row"));

    Dataset<Row> stats = df.agg(functions.batchNormStats(col("features"), shape).as("st"));
    statistics(name, "dataframe", () -> stats);
    Column st = col("st");
    Column out = switch (form) {
      case 1 -> functions.batchNorm(col("features"), st);
      case 2 -> functions.batchNorm(col("features"), st, eps);
      default -> functions.batchNorm(col("features"), st, eps, weight, bias);
    };
    output(name, "dataframe", () -> df.crossJoin(stats).select(col("row"), out.as("out")).orderBy("row"));
  }

  /**
   * PyTorch's evaluation mode: batch norm with given mean and variance (the running statistics). SQL: the
   * (tensor, mean, var, eps[, weight, bias]) form; DataFrame API: batchNorm(tensor, mean, var, eps) without affine,
   * else a struct column (mean, var) built on the client, as a struct of a model's statistics would be.
   */
  private void running(String name, boolean isDouble, String shape, double eps, double[] mean, double[] var,
             double[] weight, double[] bias, List<double[]> samples) {
    Dataset<Row> df = frame(samples, isDouble);
    String view = view(df);
    boolean affine = weight != null || bias != null;
    output(name, "sql", () -> spark.sql("SELECT row, batch_norm(features, " + sqlArray(mean) + ", " + sqlArray(var)
        + ", " + sqlDouble(eps) + (affine ? ", " + sqlArray(weight) + ", " + sqlArray(bias) : "") + ") AS out FROM "
        + view + " ORDER BY row"));
    Column out = affine
        ? functions.batchNorm(col("features"), struct(lit(mean).as("mean"), lit(var).as("var")), eps, weight, bias)
        : functions.batchNorm(col("features"), mean, var, eps);
    output(name, "dataframe", () -> df.select(col("row"), out.as("out")).orderBy("row"));
  }

  /** Failures as a Connect client sees them: an invalid tensor, the try_ twin, an argument PyTorch refuses. */
  private void errors() {
    Dataset<Row> df = frame(List.of(new double[] {1, 2}, new double[] {3, 4, 5}), true);
    String view = view(df);
    // Row 0 has 2 values for a shape of 3: layer_norm fails the query, try_layer_norm gives NULL for that row.
    output("invalid-tensor", "sql", () -> spark.sql("SELECT row, layer_norm(features, '3') AS out FROM " + view
        + " ORDER BY row"));
    output("invalid-tensor-try", "sql", () -> spark.sql("SELECT row, try_layer_norm(features, '3') AS out FROM "
        + view + " ORDER BY row"));
    output("invalid-tensor-try", "dataframe", () -> df.select(col("row"),
        functions.tryLayerNorm(col("features"), "3").as("out")).orderBy("row"));
    // Groups must divide the channels (PyTorch's rule): refused when the query is analyzed.
    output("groups-not-dividing", "sql", () -> spark.sql("SELECT row, group_norm(features, '3', 2) AS out FROM "
        + view + " ORDER BY row"));
    output("groups-not-dividing", "dataframe", () -> df.select(col("row"),
        functions.groupNorm(col("features"), "3", 2).as("out")).orderBy("row"));
  }

  // ------------------------------------------------------------------------------------------------------------

  private static Column perSample(String method, Column tensor, String shape, int groups, int form, double eps,
                  double[] weight, double[] bias) {
    return switch (method) {
      case "layer" -> switch (form) {
        case 1 -> functions.layerNorm(tensor, shape);
        case 2 -> functions.layerNorm(tensor, shape, eps);
        default -> functions.layerNorm(tensor, shape, eps, weight, bias);
      };
      case "instance" -> switch (form) {
        case 1 -> functions.instanceNorm(tensor, shape);
        case 2 -> functions.instanceNorm(tensor, shape, eps);
        default -> functions.instanceNorm(tensor, shape, eps, weight, bias);
      };
      case "group" -> switch (form) {
        case 1 -> functions.groupNorm(tensor, shape, groups);
        case 2 -> functions.groupNorm(tensor, shape, groups, eps);
        default -> functions.groupNorm(tensor, shape, groups, eps, weight, bias);
      };
      default -> throw new IllegalArgumentException("method " + method);
    };
  }

  /** The SQL arguments after the shape (and groups) for the form: none, eps, or eps, weight, bias. */
  private static String tail(int form, double eps, double[] weight, double[] bias) {
    return switch (form) {
      case 1 -> "";
      case 2 -> ", " + sqlDouble(eps);
      default -> ", " + sqlDouble(eps) + ", " + sqlArray(weight) + ", " + sqlArray(bias);
    };
  }

  /** The samples as a DataFrame (row: bigint, features: array of float or double), made on the client. */
  private Dataset<Row> frame(List<double[]> samples, boolean isDouble) {
    DataType element = isDouble ? DataTypes.DoubleType : DataTypes.FloatType;
    StructType schema = new StructType().add("row", DataTypes.LongType, false)
        .add("features", DataTypes.createArrayType(element, false), true);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < samples.size(); i++) {
      List<Object> values = new ArrayList<>();
      for (double v : samples.get(i)) {
        values.add(isDouble ? (Object) v : (Object) (float) v);
      }
      rows.add(RowFactory.create((long) i, values));
    }
    return spark.createDataFrame(rows, schema);
  }

  /** Registers the frame as a temporary view of this session; returns its name. */
  private String view(Dataset<Row> df) {
    String name = "sparknorm_case_" + views++;
    df.createOrReplaceTempView(name);
    return name;
  }

  private interface Query {
    Dataset<Row> get();
  }

  /** Runs a query of (row, out) and prints its rows, the type of out, or the failure. */
  private static void output(String name, String api, Query query) {
    Json json = new Json().put("kind", "output").put("case", name).put("api", api);
    long t0 = System.nanoTime();
    try {
      Dataset<Row> result = query.get();
      String type = result.schema().apply("out").dataType().simpleString();
      List<Row> rows = result.collectAsList();
      List<Long> ids = new ArrayList<>();
      List<String> values = new ArrayList<>();
      for (Row row : rows) {
        ids.add(row.getLong(0));
        values.add(row.isNullAt(1) ? "null" : Json.numbers(row.getList(1)));
      }
      json.put("type", type).raw("ids", ids.toString()).raw("values", "[" + String.join(",", values) + "]");
    } catch (Exception e) {
      failure(json, e);
    }
    System.out.println(json.put("seconds", (System.nanoTime() - t0) / 1e9).toString());
  }

  /** Runs a query of one row with the struct st of batch_norm_stats and prints its fields. */
  private static void statistics(String name, String api, Query query) {
    Json json = new Json().put("kind", "statistics").put("case", name).put("api", api);
    long t0 = System.nanoTime();
    try {
      Dataset<Row> result = query.get();
      json.put("type", result.schema().apply("st").dataType().simpleString());
      List<Row> rows = result.collectAsList();
      if (rows.size() != 1) {
        throw new IllegalStateException(rows.size() + " rows of statistics");
      }
      Row st = rows.get(0).getStruct(0);
      json.put("count", st.getLong(st.fieldIndex("count")));
      for (String field : new String[] {"mean", "var", "var_unbiased", "mean_residual"}) {
        json.raw(field, Json.numbers(st.getList(st.fieldIndex(field))));
      }
      json.raw("shape", st.getList(st.fieldIndex("shape")).toString());
    } catch (Exception e) {
      failure(json, e);
    }
    System.out.println(json.put("seconds", (System.nanoTime() - t0) / 1e9).toString());
  }

  /** The exception's class and the messages of its cause chain (the Connect client fetches the server's causes). */
  private static void failure(Json json, Exception e) {
    List<String> messages = new ArrayList<>();
    for (Throwable t = e; t != null && messages.size() < 5; t = t.getCause()) {
      messages.add((t == e ? "" : "caused by " + t.getClass().getName() + ": ") + t.getMessage());
    }
    json.put("failure", e.getClass().getName()).put("message", String.join("\n", messages));
  }

  // ------------------------------------------------------------------------------------------------------------

  private static String sqlDouble(double v) {
    return Double.toString(v) + "D";
  }

  private static String sqlArray(double[] values) {
    if (values == null) {
      return "NULL";
    }
    List<String> items = new ArrayList<>();
    for (double v : values) {
      items.add(sqlDouble(v));
    }
    return "array(" + String.join(", ", items) + ")";
  }

  private static double[] doubles(String csv) {
    String[] parts = csv.split(",");
    double[] v = new double[parts.length];
    for (int i = 0; i < v.length; i++) {
      v[i] = Double.parseDouble(parts[i]);
    }
    return v;
  }

  private static double[] optionalDoubles(String field) {
    return field.equals("-") ? null : doubles(field);
  }

  /** A flat JSON object written by hand: the client's class path has no JSON library of its own to rely on. */
  private static final class Json {
    private final List<String> members = new ArrayList<>();

    Json put(String key, String value) {
      return raw(key, quote(value));
    }

    Json put(String key, long value) {
      return raw(key, Long.toString(value));
    }

    Json put(String key, double value) {
      return raw(key, number(value));
    }

    Json raw(String key, String json) {
      members.add(quote(key) + ":" + json);
      return this;
    }

    @Override
    public String toString() {
      return "{" + String.join(",", members) + "}";
    }

    /** A list of Float or Double as a JSON array of the exact double values; NaN and infinities as strings. */
    static String numbers(List<?> values) {
      return values.stream().map(v -> v == null ? "null" : number(((Number) v).doubleValue()))
          .collect(Collectors.joining(",", "[", "]"));
    }

    static String number(double v) {
      return Double.isFinite(v) ? Double.toString(v) : quote(Double.toString(v));
    }

    static String quote(String s) {
      StringBuilder b = new StringBuilder("\"");
      for (char c : s.toCharArray()) {
        switch (c) {
          case '"' -> b.append("\\\"");
          case '\\' -> b.append("\\\\");
          case '\n' -> b.append("\\n");
          case '\r' -> b.append("\\r");
          case '\t' -> b.append("\\t");
          default -> {
            if (c < 0x20) {
              b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
              b.append(c);
            }
          }
        }
      }
      return b.append('"').toString();
    }
  }
}
