package io.sparknorm.runner;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A scratch folder under the module's {@code target/it-work/}, removed with everything in it by {@link #close()}
 * (kept when the system property {@code sparknorm.it.keep} is set, to look at after a failure).
 */
final class WorkDir implements AutoCloseable {

  private final Path root;
  private final AtomicInteger counter = new AtomicInteger();

  private WorkDir(Path root) {
    this.root = root;
  }

  static WorkDir create(String prefix) {
    try {
      Path base = Files.createDirectories(Path.of("target", "it-work").toAbsolutePath());
      return new WorkDir(Files.createTempDirectory(base, prefix + "-"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Path root() {
    return root;
  }

  /** A new empty folder for one test; the name is made unique. */
  Path newDir(String name) {
    try {
      return Files.createDirectory(root.resolve(counter.incrementAndGet() + "-" + name.replaceAll("[^A-Za-z0-9_.-]", "_")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    if (System.getProperty("sparknorm.it.keep") == null) {
      deleteRecursively(root);
    }
  }

  static void deleteRecursively(Path path) {
    if (!Files.exists(path)) {
      return;
    }
    try {
      Files.walkFileTree(path, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.delete(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
          if (e != null) {
            throw e;
          }
          Files.delete(dir);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The names in a folder, hidden ones included, sorted. */
  static java.util.List<String> list(Path dir) {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
