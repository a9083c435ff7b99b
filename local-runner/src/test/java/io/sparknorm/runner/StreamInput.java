package io.sparknorm.runner;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;

/**
 * The input of the stream tests: Parquet files of {@link #ROWS_PER_FILE} rows each, an {@code id} numbering all rows
 * from 0 in file order and {@code features}, {@link #SIZE} doubles computed from the id, drifting from file to file so
 * that every micro-batch has statistics of its own. File i is {@code in-NN.parquet} with the modification time
 * {@link #BASE_MTIME} plus i minutes: a file source takes files oldest first, so with a fixed number of files per
 * trigger the micro-batches hold the same files in every run, and files added later come after.
 */
final class StreamInput {
  static final int ROWS_PER_FILE = 25_000;
  static final int SIZE = 16;
  /** 2026-01-01T00:00:00Z: any fixed time; only the order of the files' times matters. */
  static final long BASE_MTIME = 1_767_225_600_000L;

  private StreamInput() {}

  /** Writes files {@code 0 .. files-1} into {@code pool} (created), each by itself, and returns their paths. */
  static List<Path> writePool(SparkSession spark, Path pool, int files) {
    try {
      Files.createDirectories(pool);
      for (int i = 0; i < files; i++) {
        Path scratch = pool.resolve(".write-" + i);
        long from = (long) i * ROWS_PER_FILE;
        spark.range(from, from + ROWS_PER_FILE, 1, 1).selectExpr("id", features()).write()
            .parquet(scratch.toString());
        Path part;
        try (Stream<Path> entries = Files.list(scratch)) {
          List<Path> parts = entries.filter(p -> p.getFileName().toString().startsWith("part-")).toList();
          if (parts.size() != 1) {
            throw new IllegalStateException("expected one part file in " + scratch + ", got " + parts);
          }
          part = parts.get(0);
        }
        Files.move(part, file(pool, i));
        WorkDir.deleteRecursively(scratch);
      }
      return Stream.iterate(0, i -> i + 1).limit(files).map(i -> file(pool, i)).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Copies files {@code from .. to-1} of the pool into {@code folder} (created), each with its fixed time. */
  static void copy(Path pool, Path folder, int from, int to) {
    try {
      Files.createDirectories(folder);
      for (int i = from; i < to; i++) {
        Path target = file(folder, i);
        Files.copy(file(pool, i), target, StandardCopyOption.REPLACE_EXISTING);
        Files.setLastModifiedTime(target, FileTime.fromMillis(BASE_MTIME + i * 60_000L));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Rows in {@code files} files: ids 0 .. rows-1. */
  static int rows(int files) {
    return files * ROWS_PER_FILE;
  }

  private static Path file(Path folder, int i) {
    return folder.resolve(String.format("in-%02d.parquet", i));
  }

  /** A spread of values per element from a hash of the id, plus a drift with the id (so with the file). */
  private static String features() {
    StringBuilder array = new StringBuilder("array(");
    for (int i = 0; i < SIZE; i++) {
      array.append(i == 0 ? "" : ", ").append("cast(pmod(id * 2654435761 + ").append(40503 * (i + 1))
          .append(", 1000003) AS DOUBLE) / 1000003.0 * ").append(i + 1).append(" + id / 20000.0");
    }
    return array + ") AS features";
  }
}
