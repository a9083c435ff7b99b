package io.sparknorm.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.GoldenFiles;
import io.sparknorm.core.IntegerGoldens;
import io.sparknorm.core.NormMethod;
import io.sparknorm.ml.TensorBatchNorm;
import io.sparknorm.ml.TensorBatchNormModel;
import io.sparknorm.ml.TensorGroupNorm;
import io.sparknorm.ml.TensorInstanceNorm;
import io.sparknorm.ml.TensorLayerNorm;
import io.sparknorm.spark.LocalSpark;
import io.sparknorm.spark.NormalizeSpec;
import io.sparknorm.spark.TensorNormalization;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.ml.Transformer;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Integer tensors through the library's entry points, on their exact values: the SQL aggregate and
 * functions, the DataFrame API and the ML stages, each against the integer goldens' exact
 * references (float output within one float32 ulp, statistics bit for bit).
 */
@ExtendWith(LocalSpark.class)
class IntegerInputLibraryTest {
  private static org.apache.spark.sql.SparkSession spark;

  static Stream<IntegerGoldens.Case> cases() {
    return IntegerGoldens.cases().stream();
  }

  static Stream<IntegerGoldens.Case> batchCases() {
    return cases().filter(c -> c.method() == NormMethod.BATCH);
  }

  /** (id, features) with features an array of int or bigint, as the case's type. */
  private static Dataset<Row> frame(IntegerGoldens.Case c) {
    StructType schema = new StructType().add("id", DataTypes.IntegerType)
        .add("features", new ArrayType(c.isLong() ? DataTypes.LongType : DataTypes.IntegerType, false));
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < c.input().length; i++) {
      rows.add(RowFactory.create(i, Arrays.stream(c.input()[i]).mapToObj(v -> c.isLong() ? (Object) v : (Object) (int) v)
          .toArray()));
    }
    return spark.createDataFrame(rows, schema).repartition(2);
  }

  private static String shape(IntegerGoldens.Case c) {
    return GoldenFiles.shapeArg(c.shape());
  }

  private static String doubles(double[] values) {
    return "array(" + Arrays.stream(values).mapToObj(v -> v + "D").collect(Collectors.joining(", ")) + ")";
  }

  /** Column {@code column} of {@code output}, by id, each value within a float32 ulp of the exact one. */
  private static void assertOutputs(IntegerGoldens.Case c, Dataset<Row> output, String column) {
    assertEquals("array<float>", output.schema().apply(column).dataType().simpleString());
    List<Row> rows = output.orderBy("id").collectAsList();
    assertEquals(c.input().length, rows.size());
    for (Row row : rows) {
      int i = row.getInt(row.fieldIndex("id"));
      List<Object> values = row.getList(row.fieldIndex(column));
      for (int j = 0; j < values.size(); j++) {
        double exact = c.exactOutput()[i][j];
        assertEquals(exact, (Float) values.get(j), IntegerGoldens.floatUlp(exact), c + " row " + i + " [" + j + "]");
      }
    }
  }

  private static void assertStatistics(IntegerGoldens.Case c, BatchStatistics s) {
    assertEquals(c.count(), s.count());
    for (int ch = 0; ch < c.shape().channels(); ch++) {
      assertEquals(c.mean()[ch], s.mean()[ch], 0, c + " mean[" + ch + "]");
      assertEquals(c.meanResidual()[ch], s.meanResidual()[ch], 0, c + " mean_residual[" + ch + "]");
      assertEquals(c.variance()[ch], s.variance()[ch], 0, c + " var[" + ch + "]");
      assertEquals(c.unbiasedVariance()[ch], s.unbiasedVariance()[ch], 0, c + " var_unbiased[" + ch + "]");
      assertEquals(c.std()[ch], s.std()[ch], 0, c + " std[" + ch + "]");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("batchCases")
  void sqlAggregateAndBatchNormUseTheExactIntegers(IntegerGoldens.Case c) {
    frame(c).createOrReplaceTempView("t");
    Row stats = spark.sql("SELECT batch_norm_stats(features, '" + shape(c) + "') AS s FROM t").first().getStruct(0);
    assertEquals(c.count(), stats.getLong(stats.fieldIndex("count")));
    for (String[] field : new String[][] {{"mean", "m"}, {"var", "v"}, {"var_unbiased", "u"}, {"mean_residual", "r"}}) {
      List<Double> values = stats.getList(stats.fieldIndex(field[0]));
      double[] expected = switch (field[1]) {
        case "m" -> c.mean();
        case "v" -> c.variance();
        case "u" -> c.unbiasedVariance();
        default -> c.meanResidual();
      };
      for (int ch = 0; ch < expected.length; ch++) {
        assertEquals(expected[ch], values.get(ch), 0, c + " " + field[0] + "[" + ch + "]");
      }
    }
    String affine = c.weight() == null ? "" : ", 1e-5D, " + doubles(c.weight()) + ", " + doubles(c.bias());
    Dataset<Row> out = spark.sql("SELECT id, batch_norm(features, (SELECT batch_norm_stats(features, '" + shape(c)
        + "') FROM t)" + affine + ") AS y FROM t");
    assertOutputs(c, out, "y");
  }

  static Stream<IntegerGoldens.Case> perSampleCases() {
    return cases().filter(c -> c.method() != NormMethod.BATCH);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("perSampleCases")
  void sqlPerSampleFunctionsUseTheExactIntegers(IntegerGoldens.Case c) {
    frame(c).createOrReplaceTempView("t");
    String eps = c.eps() + "D";
    String affine = c.weight() == null ? "" : ", " + doubles(c.weight()) + ", " + doubles(c.bias());
    String call = switch (c.method()) {
      case LAYER -> "layer_norm(features, '" + shape(c) + "', " + eps + affine + ")";
      case INSTANCE -> "instance_norm(features, '" + shape(c) + "', " + eps + affine + ")";
      default -> "group_norm(features, '" + shape(c) + "', " + c.groups() + ", " + eps + affine + ")";
    };
    assertOutputs(c, spark.sql("SELECT id, " + call + " AS y FROM t"), "y");
  }

  @Test
  void theDataFrameApiUsesTheExactIntegers() {
    IntegerGoldens.Case group = IntegerGoldens.named("group_c4_g2_mixed_int64");
    Dataset<Row> data = frame(group);
    Column y = functions.groupNorm(data.col("features"), shape(group), group.groups(), group.eps(), group.weight(),
        group.bias());
    assertOutputs(group, data.select(data.col("id"), y.as("y")), "y");

    IntegerGoldens.Case batch = IntegerGoldens.named("batch_c2_above2p53_int64");
    NormalizeSpec spec = new NormalizeSpec(NormMethod.BATCH).shape(batch.shape()).affine(batch.affine());
    assertStatistics(batch, TensorNormalization.fitStatistics(frame(batch), spec));
    assertOutputs(batch, TensorNormalization.normalize(frame(batch), spec).frame(), "features");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void theMlStagesUseTheExactIntegers(IntegerGoldens.Case c) {
    Dataset<Row> data = frame(c);
    Transformer stage = switch (c.method()) {
      case BATCH -> {
        TensorBatchNormModel model = withParams(new TensorBatchNorm(), c).fit(data);
        assertStatistics(c, model.statistics());
        yield model;
      }
      case LAYER -> withParams(new TensorLayerNorm(), c);
      case INSTANCE -> withParams(new TensorInstanceNorm(), c);
      case GROUP -> withParams(new TensorGroupNorm().setGroups(c.groups()), c);
    };
    assertOutputs(c, stage.transform(data), "y");
  }

  private static <S extends io.sparknorm.ml.TensorNormParams<S>> S withParams(S stage, IntegerGoldens.Case c) {
    stage.setInputCol("features").setOutputCol("y").setShape(shape(c)).setEps(c.eps());
    if (c.weight() != null) {
      stage.setWeight(c.weight()).setBias(c.bias());
    }
    return stage;
  }
}
