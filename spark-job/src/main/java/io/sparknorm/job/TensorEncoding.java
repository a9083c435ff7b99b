package io.sparknorm.job;

import io.sparknorm.core.NormMethod;
import io.sparknorm.spark.NormalizeSpec;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;

/**
 * Whether Parquet should write the normalized tensor's values with a dictionary.
 *
 * <p>Parquet tries a dictionary for every column chunk and falls back to plain encoding when the
 * values hardly repeat, after a megabyte of dictionary per chunk; that attempt is a visible part of
 * a whole write (benchmarks/PERFORMANCE-LOG.md). So the job asks for plain values where a
 * dictionary cannot win:
 * <ul>
 *   <li>a per-sample method or the mini-batch replay: every row (or mini-batch) is mapped by its
 *       own statistics, so its values hardly repeat across rows;
 *   <li>batch norm over Parquet whose tensor values are themselves stored plain: the output maps
 *       each channel by one affine map and so repeats values exactly as often as the input, which
 *       its writer found not worth a dictionary (read from the footer of one input file).
 * </ul>
 * Batch norm over anything else keeps Parquet's default: pixels (256 levels a channel) gain from a
 * dictionary, and their normalized values repeat as often.
 */
final class TensorEncoding {
  private TensorEncoding() {}

  /**
   * The writer options that switch the dictionary off for the values of {@code tensorCol}, under
   * every name Spark gives that leaf: a list ({@code col.list.element}, or {@code col.array} and
   * {@code col.bag.array} in the legacy format) or an ML vector's values.
   */
  static Map<String, String> plainValues(String tensorCol) {
    Map<String, String> options = new java.util.LinkedHashMap<>();
    for (String parent : List.of(tensorCol, tensorCol + ".values")) {
      for (String leaf : List.of(".list.element", ".array", ".bag.array")) {
        options.put("parquet.enable.dictionary#" + parent + leaf, "false");
      }
    }
    return options;
  }

  /**
   * Whether the job writes the normalized values plain (see the class comment): always for a
   * per-sample method or a replay, for batch norm as its Parquet input's values are stored.
   */
  static boolean plainValues(NormalizeSpec spec, boolean replay, String inputFormat, String input,
      Configuration conf) {
    if (spec.method() != NormMethod.BATCH || replay) {
      return true;
    }
    return "parquet".equals(inputFormat) && spec.inputCols() == null
        && inputValuesArePlain(input, spec.inputCol(), conf);
  }

  /**
   * Whether, in the first data file of Parquet {@code input}, no chunk of {@code inputCol}'s values
   * is dictionary-encoded. False when that cannot be told (no data file, an unreadable footer, no
   * such column).
   */
  private static boolean inputValuesArePlain(String input, String inputCol, Configuration conf) {
    try {
      Path file = firstDataFile(new Path(input), conf);
      if (file == null) {
        return false;
      }
      boolean seen = false;
      try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(file, conf))) {
        for (BlockMetaData block : reader.getFooter().getBlocks()) {
          for (ColumnChunkMetaData chunk : block.getColumns()) {
            String[] path = chunk.getPath().toArray();
            String leaf = path[path.length - 1];
            boolean values = (leaf.equals("element") || leaf.equals("array")) && !List.of(path).contains("indices");
            if (values && path[0].equalsIgnoreCase(inputCol)) {
              seen = true;
              if (chunk.getEncodings().stream().anyMatch(Encoding::usesDictionary)) {
                return false;
              }
            }
          }
        }
      }
      return seen;
    } catch (IOException | RuntimeException e) {
      return false; // the read that follows reports a broken file; here it only means "keep the default"
    }
  }

  /** {@code path} itself when it is a file, else the first visible file in the folder; null when there is none. */
  private static Path firstDataFile(Path path, Configuration conf) throws IOException {
    FileSystem fs = path.getFileSystem(conf);
    FileStatus status = fs.getFileStatus(path);
    if (status.isFile()) {
      return path;
    }
    for (FileStatus child : fs.listStatus(path)) {
      String name = child.getPath().getName();
      if (child.isFile() && !name.startsWith("_") && !name.startsWith(".")) {
        return child.getPath();
      }
    }
    return null;
  }
}
