package io.sparknorm.sql;

import io.sparknorm.core.Affine;
import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.NormalizationException;
import io.sparknorm.core.Normalizer;
import io.sparknorm.core.Normalizers;
import io.sparknorm.core.Shape;
import io.sparknorm.core.SparknormVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.ExpressionInfo;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The one list of sparknorm's SQL functions: name, documentation (what {@code DESCRIBE FUNCTION
 * EXTENDED} shows) and builder. {@link SparknormExtensions} registers every entry in each session;
 * the documentation test runs every example here.
 *
 * <p>A builder reads the constant arguments once, checks every PyTorch rule, and returns a Catalyst
 * expression over a function of the core: {@link NormalizeFunction} (scalar) or
 * {@link BatchNormStatsFunction} (aggregate).
 *
 * <p>Internal: public only for {@code io.sparknorm.spark}, which builds the same expressions with
 * {@link #apply} and {@link #aggregate}; not part of the API (the SQL functions are, by name).
 */
public final class SqlFunctions {
  private SqlFunctions() {}

  /** One SQL function: its name, its documentation and how to build it from its arguments. */
  record Definition(String name, ExpressionInfo info, Function<List<Expression>, Expression> builder) {}

  private static final String SINCE = SparknormVersion.release();
  private static final String GROUP = "math_funcs";

  static final String TENSOR_ARG = "      * tensor - the sample, stored flat, channels first: an array of float, double, int,"
      + " long, short, byte or decimal, a Spark ML vector, or JSON array text in a string. NULL gives NULL.\n";
  static final String SHAPE_ARG = "      * shape - one sample's shape, channels first: a string such as '3,32,32' or an array"
      + " of ints. Constant.\n";
  private static final String EPS_ARG = "      * eps - added to the variance inside the square root; default "
      + Normalizers.DEFAULT_EPS_TEXT + ". Constant.\n";
  /** What each function does on a stream, as DESCRIBE FUNCTION EXTENDED's note. */
  private static final String PER_ROW_ON_STREAMS = "On streams: works in any streaming query, row by row, with the"
      + " same bits as on the same rows in a batch query.";
  private static final String STATISTICS_ON_STREAMS = "On streams: only grouped by an event-time window over a"
      + " watermarked column (withWatermark, GROUP BY window(ts, ...)), each window's statistics exactly those of"
      + " its rows; over a whole stream, without such a window, it is refused when the query is analyzed: fit on a"
      + " batch read of the same data instead.";
  private static final String RESULT = "    The result is array<double> for double or decimal input, array<float> for float and"
      + " integer input (computed on the integers' exact values, rounded once), a vector for a vector.\n";

  /** Every function, in the order of the README. */
  static List<Definition> all() {
    List<Definition> all = new ArrayList<>();
    for (boolean isTry : new boolean[] {false, true}) {
      all.add(perSample("layer_norm", isTry, 2, 5,
          "_FUNC_(tensor, shape[, eps[, weight, bias]]) - Layer norm of each sample over all its elements,"
              + " as torch.nn.functional.layer_norm with normalized_shape = shape.",
          TENSOR_ARG + SHAPE_ARG + EPS_ARG
              + "      * weight, bias - arrays of one value per element (C x S), or NULL for 1 and 0. Constant.\n",
          "      > SELECT _FUNC_(array(1F, 2F, 3F), '3');\n       [-1.2247357, 0.0, 1.2247357]\n"
              + "      > SELECT _FUNC_(array(1D, 2D, 3D, 5D), '2,2', 1e-3, array(1, 1, 2, 2), NULL);\n"
              + "       [-1.1829455999485958, -0.5069766856922553, 0.3379844571281702, 3.0418601141535317]\n"));
      all.add(perSample("instance_norm", isTry, 2, 5,
          "_FUNC_(tensor, shape[, eps[, weight, bias]]) - Instance norm: each channel of each sample over its"
              + " spatial positions, as torch.nn.functional.instance_norm. Needs a spatial size above 1.",
          TENSOR_ARG + SHAPE_ARG + EPS_ARG + "      * weight, bias - arrays of one value per channel, or NULL. Constant.\n",
          "      > SELECT _FUNC_(array(1F, 2F, 3F, 10F, 20F, 30F), '2,3');\n"
              + "       [-1.2247357, 0.0, 1.2247357, -1.2247448, 0.0, 1.2247448]\n"));
      all.add(perSample("group_norm", isTry, 3, 6,
          "_FUNC_(tensor, shape, groups[, eps[, weight, bias]]) - Group norm: each group of C/groups consecutive"
              + " channels of each sample, as torch.nn.functional.group_norm.",
          TENSOR_ARG + SHAPE_ARG + "      * groups - the number of groups; it must divide the channel count. Constant.\n"
              + EPS_ARG + "      * weight, bias - arrays of one value per channel, or NULL. Constant.\n",
          "      > SELECT _FUNC_(array(1F, 2F, 3F, 4F), '4', 2);\n       [-0.99998, 0.99998, -0.99998, 0.99998]\n"));
      all.add(batchNorm(isTry));
    }
    all.add(new Definition(BatchNormStatsFunction.NAME, info(BatchNormStatsFunction.NAME, BatchNormStatsFunction.class,
        "_FUNC_(tensor, shape) - Batch norm's statistics of each channel over all rows and spatial positions:"
            + " struct<count: bigint, mean: array<double>, var: array<double>, var_unbiased: array<double>,"
            + " mean_residual: array<double>, shape: array<int>>. var is the biased variance batch norm divides by,"
            + " var_unbiased what PyTorch's running_var tracks; mean + mean_residual is the mean to twice double's"
            + " precision. Invalid tensors fail the query; NULL tensors are passed over; no row gives NULL.",
        TENSOR_ARG + SHAPE_ARG,
        "      > SELECT _FUNC_(t, '2').mean FROM VALUES (array(1D, 10D)), (array(3D, 30D)) AS data(t);\n"
            + "       [2.0, 20.0]\n"
            + "      > SELECT k, _FUNC_(t, '1').var FROM VALUES ('a', array(1D)), ('a', array(3D)), ('b', array(5D)),"
            + " ('b', array(9D)) AS data(k, t) GROUP BY k ORDER BY k;\n       a\t[1.0]\n       b\t[4.0]\n",
        "agg_funcs"), SqlFunctions::batchNormStats));
    all.addAll(ProfileFunctions.definitions());
    return all;
  }

  private static ExpressionInfo info(String name, Class<?> implementation, String usage, String arguments,
      String examples, String group) {
    return info(name, implementation, usage, arguments, examples, group,
        implementation == NormalizeFunction.class ? PER_ROW_ON_STREAMS : STATISTICS_ON_STREAMS);
  }

  static ExpressionInfo info(String name, Class<?> implementation, String usage, String arguments,
      String examples, String group, String onStreams) {
    // The aggregate has no try_ twin and returns a struct: its usage says what it returns and does with invalid rows.
    String result = implementation != NormalizeFunction.class ? ""
        : RESULT + "    An invalid tensor (wrong length, NULL element, NaN or infinity) " + (name.startsWith("try_")
            ? "gives NULL.\n" : "fails the query; try_" + name + " returns NULL for it instead.\n");
    return new ExpressionInfo(implementation.getName(), null, name, usage, "\n    Arguments:\n" + arguments + "\n"
        + result, "\n    Examples:\n" + examples + "  ", "\n    " + onStreams + "\n  ", group, SINCE, "", "");
  }

  private static Definition perSample(String method, boolean isTry, int min, int max, String usage, String arguments,
      String examples) {
    String name = (isTry ? "try_" : "") + method;
    String shownUsage = isTry ? usage.replace(" - ", " - Like " + method + ", but NULL for an invalid tensor. ") : usage;
    return new Definition(name, info(name, NormalizeFunction.class, shownUsage, arguments, examples, GROUP), args -> {
          Arguments a = new Arguments(name, args, min, max, usage);
          TensorReader reader = a.tensor();
          Shape shape = a.shape(1);
          boolean group = method.equals("group_norm");
          int next = group ? 3 : 2;
          double eps = a.eps(next);
          Affine affine = a.affine(next + 1);
          int groups = group ? a.groups(2) : 0;
          Normalizer normalizer;
          try {
            normalizer = switch (method) {
              case "layer_norm" -> Normalizers.layer(shape, eps, affine);
              case "instance_norm" -> Normalizers.instance(shape, eps, affine);
              default -> Normalizers.group(shape, groups, eps, affine);
            };
          } catch (NormalizationException e) {
            throw e.worded(name + ": " + e.getMessage());
          }
          return apply(new NormalizeFunction(name, a.types(), a.tensorSql(), reader,
              NormalizeFunction.NormalizerSource.fixed(normalizer), !isTry, false, null), args);
        });
  }

  private static Definition batchNorm(boolean isTry) {
    String name = (isTry ? "try_" : "") + "batch_norm";
    String usage = "_FUNC_(tensor, stats[, eps[, weight, bias]]) - Batch norm with given statistics, as"
        + " torch.nn.functional.batch_norm in evaluation mode: (x - mean) / sqrt(var + eps) * weight + bias per"
        + " channel. Also _FUNC_(tensor, mean, var[, eps[, weight, bias]]).";
    String arguments = TENSOR_ARG
        + "      * stats - what batch_norm_stats returns, or any struct with arrays mean and var (a PyTorch model's"
        + " running_mean and running_var). A constant, a scalar subquery or a column (per-key statistics from a"
        + " join).\n"
        + "      * mean, var - instead of stats: constant arrays of one value per channel.\n"
        + EPS_ARG + "      * weight, bias - arrays of one value per channel, or NULL. Constant.\n";
    String examples = "      > SELECT _FUNC_(array(1D, 10D), array(2D, 20D), array(1D, 100D), 0D);\n       [-1.0, -1.0]\n"
        + "      > SELECT _FUNC_(t, s) FROM VALUES (array(1F, 10F)), (array(3F, 30F)) AS data(t),"
        + " (SELECT batch_norm_stats(t, '2') AS s FROM VALUES (array(1F, 10F)), (array(3F, 30F)) AS data(t));\n"
        + "       [-0.999995, -0.99999994]\n       [0.999995, 0.99999994]\n";
    String shown = isTry ? usage.replace(" - ", " - Like batch_norm, but NULL for an invalid tensor. ") : usage;
    return new Definition(name, info(name, NormalizeFunction.class, shown, arguments, examples, GROUP), args -> {
      Arguments a = new Arguments(name, args, 2, 6, usage);
      TensorReader reader = a.tensor();
      boolean struct = a.isStatisticsStruct(1);
      int next = struct ? 2 : 3;
      if (!struct && !a.has(2)) {
        throw a.error(1, "stats", "is of type " + a.get(1).dataType().simpleString()
            + "; give the struct of batch_norm_stats, or the mean and var arrays");
      }
      if (struct && a.size() > 5) {
        throw new IllegalArgumentException(name + " takes 2 to 5 arguments with a stats struct, got " + a.size());
      }
      double eps = a.eps(next);
      Affine affine = a.affine(next + 1);
      NormalizeFunction.NormalizerSource source;
      BatchStatistics constant = struct ? a.constantStatistics(1) : a.meanAndVar(1);
      if (constant != null) {
        Normalizer whole;
        try {
          // Checks every rule now; shapes of the statistics' (C,) with other spatial sizes are built per length.
          whole = Normalizers.batch(constant, eps, affine);
        } catch (NormalizationException e) {
          throw e.worded(name + ": " + e.getMessage());
        }
        source = constant.shape().rank() == 1 ? new FixedStatistics(constant, eps, affine, whole)
            : NormalizeFunction.NormalizerSource.fixed(whole);
      } else {
        source = new StatisticsArgument(a.statisticsType(1), eps, affine);
      }
      return apply(new NormalizeFunction(name, a.types(), a.tensorSql(), reader, source, !isTry, false, null), args);
    });
  }

  private static Expression batchNormStats(List<Expression> args) {
    Arguments a = new Arguments(BatchNormStatsFunction.NAME, args, 2, 2, "_FUNC_(tensor, shape)");
    return aggregate(new BatchNormStatsFunction(a.types(), a.tensorSql(), a.tensor(), a.shape(1), true, false, null),
        args);
  }

  /** A Catalyst expression applying a scalar function to these arguments. */
  public static Expression apply(NormalizeFunction function, List<Expression> args) {
    return new FunctionCall(function, args, function.perRowArguments());
  }

  /** A Catalyst expression applying a scalar function to these arguments. */
  public static Expression apply(TensorCheckFunction function, List<Expression> args) {
    return new FunctionCall(function, args, 1);
  }

  /** A Catalyst aggregate function over these arguments. */
  public static Expression aggregate(ChannelSketchesFunction function, List<Expression> args) {
    return new ChannelSketchesAggregate(function, CollectionConverters.asScala(args).toSeq(), 0, 0);
  }

  /** A Catalyst aggregate function over these arguments. */
  public static Expression aggregate(BatchNormStatsFunction function, List<Expression> args) {
    return new BatchNormStatsAggregate(function, CollectionConverters.asScala(args).toSeq(), 0, 0);
  }
}
