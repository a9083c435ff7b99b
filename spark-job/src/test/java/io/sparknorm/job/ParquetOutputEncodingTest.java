package io.sparknorm.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import io.sparknorm.core.NormMethod;
import io.sparknorm.core.Shape;
import io.sparknorm.spark.NormalizeSpec;
import io.sparknorm.spark.TensorNormalization;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * How the job writes the normalized tensor to Parquet: per-sample methods and the mini-batch
 * replay without a dictionary for its values (a row mapped by its own statistics hardly repeats a
 * value, and the dictionary attempt costs time: {@link TensorEncoding}), batch norm as its
 * Parquet input's values are stored (its output repeats values as often as its input does), else
 * with Parquet's default. Rows that all hold the
 * same tensor make the difference visible: by default Parquet would encode their one repeated
 * output with a dictionary.
 */
class ParquetOutputEncodingTest extends JobTestSupport {
  private static final int ROWS = 400;

  @Test
  void perSampleOutputIsPlainAndBatchOutputKeepsTheDictionary() throws IOException {
    String input = repeatedRows(false);
    for (String method : List.of("layer", "instance", "group")) {
      Path out = dir.resolve("out-" + method);
      JobRun run = JobRun.of("--input", input, "--output", out.toString(), "--method", method, "--shape", "2,2",
          "--groups", method.equals("group") ? "1" : null);
      run.assertSucceeded(method, ROWS, ROWS, 0, 0);
      assertEquals(Set.of("PLAIN"), valueEncodings(out, "features"), method);
      // The encoding changes no value: the rows read back are the library's, bit for bit.
      NormalizeSpec spec = new NormalizeSpec(NormMethod.parse(method)).shape(Shape.parse("2,2"))
          .groups(method.equals("group") ? 1 : 0);
      List<Row> expected = TensorNormalization.normalize(spark.read().parquet(input), spec).frame().orderBy("id")
          .collectAsList();
      assertEquals(expected, spark.read().parquet(out.toString()).orderBy("id").collectAsList(), method);
    }
    assertEquals(Set.of("PLAIN"), batchNormEncodings(input, "replay", "--batch-size", "64"));
    assertUsesDictionary(batchNormEncodings(input, "batch"));
  }

  /**
   * Batch norm repeats values exactly as often as its input: over Parquet whose tensor values are
   * stored plain (here written so on purpose, although they repeat) its output is plain too.
   */
  @Test
  void batchOutputIsPlainWhenTheInputsValuesArePlain() throws IOException {
    String dictionary = repeatedRows(false);
    String plain = dir.resolve("plain.parquet").toString();
    spark.read().parquet(dictionary).write().option("parquet.enable.dictionary#features.list.element", "false")
        .parquet(plain);
    assertEquals(Set.of("PLAIN"), valueEncodings(Path.of(plain), "features"));
    assertEquals(Set.of("PLAIN"), batchNormEncodings(plain, "batch-plain"));
    // JSON input tells nothing of its values' repeats: Parquet's default, a dictionary here.
    String json = dir.resolve("rows.json").toString();
    spark.read().parquet(plain).write().json(json);
    assertUsesDictionary(batchNormEncodings(json, "batch-json"));
  }

  /** Runs batch norm (shape 2,2, and {@code more}) from {@code input} into out-NAME: the encodings of its values. */
  private Set<String> batchNormEncodings(String input, String name, String... more) throws IOException {
    Path out = dir.resolve("out-" + name);
    List<String> args = new ArrayList<>(List.of("--input", input, "--output", out.toString(), "--method", "batch",
        "--shape", "2,2"));
    args.addAll(List.of(more));
    JobRun.of(args.toArray(new String[0])).assertSucceeded("batch", ROWS, ROWS, 0, 0);
    return valueEncodings(out, "features");
  }

  private static void assertUsesDictionary(Set<String> encodings) {
    assertTrue(encodings.stream().anyMatch(e -> Encoding.valueOf(e).usesDictionary()), encodings.toString());
  }

  @Test
  void vectorValuesArePlainToo() throws IOException {
    Path out = dir.resolve("out-vector");
    JobRun.of("--input", repeatedRows(true), "--output", out.toString(), "--method", "layer", "--shape", "4")
        .assertSucceeded("layer", ROWS, ROWS, 0, 0);
    assertEquals(Set.of("PLAIN"), valueEncodings(out, "features"));
  }

  /** {@link #ROWS} rows that all hold (1, 2, 3, 4), as a double array or an ML vector, in two files. */
  private String repeatedRows(boolean vector) {
    List<Row> rows = new ArrayList<>();
    for (long id = 0; id < ROWS; id++) {
      rows.add(RowFactory.create(id, vector ? Vectors.dense(1, 2, 3, 4) : new double[] {1, 2, 3, 4}));
    }
    StructType schema = new StructType().add("id", DataTypes.LongType).add("features",
        vector ? SQLDataTypes.VectorType() : DataTypes.createArrayType(DataTypes.DoubleType, false));
    String path = dir.resolve(vector ? "vectors.parquet" : "arrays.parquet").toString();
    spark.createDataFrame(rows, schema).repartition(2).write().parquet(path);
    return path;
  }

  /** The encodings Parquet used for the values (the leaf of the list) of column {@code column}, in every file. */
  private static Set<String> valueEncodings(Path folder, String column) throws IOException {
    Set<String> encodings = new TreeSet<>();
    List<Path> files;
    try (Stream<Path> listing = Files.list(folder)) {
      files = listing.filter(p -> p.getFileName().toString().endsWith(".parquet")).toList();
    }
    assertFalse(files.isEmpty(), "no Parquet files in " + folder);
    Configuration conf = new Configuration();
    for (Path file : files) {
      try (ParquetFileReader reader = ParquetFileReader.open(
          HadoopInputFile.fromPath(new org.apache.hadoop.fs.Path(file.toUri()), conf))) {
        for (BlockMetaData block : reader.getFooter().getBlocks()) {
          for (ColumnChunkMetaData chunk : block.getColumns()) {
            String[] path = chunk.getPath().toArray();
            boolean values = path.length == 3 || path.length == 4 && path[1].equals("values");
            if (path[0].equals(column) && path[path.length - 1].equals("element") && values) {
              chunk.getEncodingStats().getDataEncodings().forEach(e -> encodings.add(e.name()));
            }
          }
        }
      }
    }
    return encodings;
  }
}
