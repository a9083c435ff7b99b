package io.sparknorm.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.testing.ChildProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Kills a streaming job's driver (SIGKILL to the spark-submit JVM and everything it started, as when its machine
 * dies) at a moment seen on the file system: while micro-batch k is being written, after the batches before it were
 * committed. The signals are what the sinks leave on disk, polled every few milliseconds:
 * <ul>
 *   <li>a folder per micro-batch ({@code batch_id=<k>}, moved into place from a hidden staging folder): batch k-1's
 *       folder is there and batch k's staging folder holds a part file;</li>
 *   <li>Spark's file sink: its log {@code _spark_metadata} has batch k-1 and not k, and the output holds a part file
 *       that no entry of the log names (a task of batch k writing).</li>
 * </ul>
 */
final class MidWriteKill {
  private static final Duration POLL = Duration.ofMillis(5);

  private MidWriteKill() {}

  /**
   * Waits (at most {@code limit}) until {@code signal} gives a description, then kills the job and waits for it to be
   * gone (bounded). Fails when the job ends first or the signal never comes. Returns the description.
   */
  static String killWhen(ChildProcess job, Supplier<Optional<String>> signal, Duration limit) {
    long deadline = System.nanoTime() + limit.toNanos();
    Optional<String> seen = Optional.empty();
    try {
      while (seen.isEmpty() && job.isAlive() && System.nanoTime() < deadline) {
        seen = signal.get();
        if (seen.isEmpty()) {
          job.waitFor(POLL);
        }
      }
      assertTrue(seen.isPresent(), "the job never reached the moment to kill it (alive: " + job.isAlive() + ")\n"
          + job.tail());
      assertTrue(job.isAlive(), "the job ended before it could be killed: " + seen.get());
      assertTrue(job.handle().info().command().orElse("").endsWith("java"),
          "local-runner/spark-submit execs the driver JVM: pid " + job.pid() + " is " + job.handle().info());
      job.kill();
      assertTrue(job.waitFor(Duration.ofSeconds(60)), "the killed driver did not end");
    } finally {
      job.kill();
    }
    assertEquals(137, job.exitCode(), "killed by SIGKILL");
    return seen.get();
  }

  /**
   * Batch k-1's folder {@code batch_id=<k-1>} is in place and batch k's hidden staging folder in the output
   * ({@code .batch_id=<k>.sparknorm-<uuid>}) holds a part file.
   */
  static Supplier<Optional<String>> stagingOfBatch(Path output, int k) {
    return () -> {
      if (k > 0 && !Files.isDirectory(output.resolve("batch_id=" + (k - 1)))) {
        return Optional.empty();
      }
      for (Path hidden : hiddenFolders(output, ".batch_id=" + k + ".")) {
        Optional<Path> part = partFile(hidden);
        if (part.isPresent()) {
          return Optional.of("staging folder " + output.relativize(hidden) + " holds " + output.relativize(part.get()));
        }
      }
      return Optional.empty();
    };
  }

  /** The file sink's log has batch k-1, not k, and a part file in the output is in no entry of the log. */
  static Supplier<Optional<String>> fileSinkWriting(Path output, int k) {
    Path log = output.resolve("_spark_metadata");
    return () -> {
      if (k > 0 && !Files.exists(log.resolve(Integer.toString(k - 1))) || Files.exists(log.resolve(Integer.toString(k)))) {
        return Optional.empty();
      }
      String logged = logText(log);
      for (Path part : partFiles(output)) {
        if (!logged.contains(part.getFileName().toString())) {
          return Optional.of("part file " + output.relativize(part) + " not in the sink's log");
        }
      }
      return Optional.empty();
    };
  }

  /** After the kill: batch k not committed, and what it was writing still on disk. */
  static void assertKilledMidBatch(Path output, int k, boolean fileSink) {
    if (fileSink) {
      assertTrue(!Files.exists(output.resolve("_spark_metadata").resolve(Integer.toString(k))),
          "the sink committed batch " + k + " before the kill landed: " + WorkDir.list(output));
      assertNotNull(fileSinkWriting(output, k).get().orElse(null),
          "no uncommitted part file left by the kill: " + WorkDir.list(output));
    } else {
      assertTrue(!Files.exists(output.resolve("batch_id=" + k)),
          "batch " + k + " was moved into place before the kill landed: " + WorkDir.list(output));
      assertNotNull(stagingOfBatch(output, k).get().orElse(null),
          "no staging folder with part files left by the kill: " + WorkDir.list(output));
    }
  }

  /** Part files in the output that no entry of its file sink's log names: what killed tasks left. */
  static long unloggedPartFiles(Path output) {
    String logged = logText(output.resolve("_spark_metadata"));
    return partFiles(output).stream().filter(p -> !logged.contains(p.getFileName().toString())).count();
  }

  private static List<Path> hiddenFolders(Path output, String prefix) {
    try (Stream<Path> entries = Files.list(output)) {
      return entries.filter(p -> p.getFileName().toString().startsWith(prefix) && Files.isDirectory(p)).toList();
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A part file anywhere under the folder (a task's attempt folder included); a folder gone meanwhile is none. */
  private static Optional<Path> partFile(Path folder) {
    try (Stream<Path> files = Files.walk(folder)) {
      return files.filter(p -> p.getFileName().toString().startsWith("part-")).findFirst();
    } catch (IOException | UncheckedIOException e) {
      return Optional.empty(); // moved or deleted while walked
    }
  }

  private static List<Path> partFiles(Path output) {
    try (Stream<Path> files = Files.list(output)) {
      return files.filter(p -> p.getFileName().toString().startsWith("part-")).toList();
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String logText(Path log) {
    StringBuilder text = new StringBuilder();
    try (Stream<Path> entries = Files.list(log)) {
      for (Path entry : entries.filter(p -> !p.getFileName().toString().startsWith(".")).toList()) {
        try {
          text.append(Files.readString(entry, StandardCharsets.UTF_8)).append('\n');
        } catch (NoSuchFileException e) {
          // a temporary file renamed meanwhile: its content is read under the new name next time
        }
      }
    } catch (NoSuchFileException e) {
      return "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return text.toString();
  }

  /** The job's micro-batches as its progress lines on standard error give them: their ids in order. */
  static List<Long> progressBatches(String stderr) {
    List<Long> ids = new ArrayList<>();
    for (String line : stderr.lines().toList()) {
      if (line.startsWith("sparknorm: batch ")) {
        ids.add(Long.parseLong(line.substring("sparknorm: batch ".length()).split(" ")[0]));
      }
    }
    return ids;
  }
}
