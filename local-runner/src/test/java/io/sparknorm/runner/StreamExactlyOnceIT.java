package io.sparknorm.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.testing.ChildProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.opentest4j.AssertionFailedError;

/**
 * Exactly once through a driver crash: a streaming job ({@code --stream --trigger available-now}, 2 files a
 * micro-batch) killed with SIGKILL while micro-batch {@value #KILLED_BATCH} is being written, then started again with
 * the same checkpoint, must end with every input id once in its output and the values, the micro-batch of every row
 * and the running statistics bit-identical to an uninterrupted run:
 * <ul>
 *   <li>A: running statistics ({@code --method batch --momentum 0.1 --stats-out}), a folder per micro-batch;</li>
 *   <li>B: the same kill, then new files added before the restart: as one uninterrupted run over all the files;</li>
 *   <li>C: per-row layer norm through Spark's file sink, read back through its log {@code _spark_metadata}.</li>
 * </ul>
 * The figures of each case go to a table, printed and written to {@code target/stream-exactly-once.txt}.
 */
@ExtendWith(SubmitSuite.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class StreamExactlyOnceIT {
  private static final int FILES = 12;
  private static final int NEW_FILES = 4;
  private static final int FILES_PER_TRIGGER = 2;
  private static final int KILLED_BATCH = 2;
  private static final Duration KILL_LIMIT = Duration.ofMinutes(3);
  private static final Path TABLE = Path.of("target", "stream-exactly-once.txt");

  /** Set by {@link SubmitSuite}. */
  private static SparkSession spark;
  private static WorkDir work;
  private static JobSubmitter submit;

  private static Path pool;
  private static Path twelveFiles;
  private static Path sixteenFiles;
  /** The uninterrupted runs: A's, B's (over all 16 files) and C's. */
  private static Run referenceA;
  private static Run referenceB;
  private static Run referenceC;
  /** How the three reference runs ended, in that order: each case checks its own. */
  private static List<ChildProcess.Result> referenceRuns;
  private static final List<String> rows = Collections.synchronizedList(new ArrayList<>());

  /** One run's folders: output, checkpoint, statistics file. */
  private record Run(Path output, Path checkpoint, Path stats) {
    static Run in(Path dir) {
      return new Run(dir.resolve("out"), dir.resolve("checkpoint"), dir.resolve("stats.json"));
    }
  }

  @BeforeAll
  static void inputAndReferences() throws Exception {
    pool = work.newDir("pool");
    StreamInput.writePool(spark, pool, FILES + NEW_FILES);
    twelveFiles = work.newDir("in-12");
    StreamInput.copy(pool, twelveFiles, 0, FILES);
    sixteenFiles = work.newDir("in-16");
    StreamInput.copy(pool, sixteenFiles, 0, FILES + NEW_FILES);
    referenceA = Run.in(work.newDir("reference-A"));
    referenceB = Run.in(work.newDir("reference-B"));
    referenceC = Run.in(work.newDir("reference-C"));
    ExecutorService threads = Executors.newFixedThreadPool(3);
    try {
      // Up to two at a time (JobSubmitter's slots), before any kill, so that the killed runs have the machine alone.
      List<CompletableFuture<ChildProcess.Result>> runs = List.of(
          CompletableFuture.supplyAsync(() -> submit.run("reference A: running statistics over 12 files",
              running(twelveFiles, referenceA)), threads),
          CompletableFuture.supplyAsync(() -> submit.run("reference B: running statistics over 16 files",
              running(sixteenFiles, referenceB)), threads),
          CompletableFuture.supplyAsync(() -> submit.run("reference C: layer norm through the file sink",
              layer(twelveFiles, referenceC)), threads));
      referenceRuns = new ArrayList<>();
      for (CompletableFuture<ChildProcess.Result> run : runs) {
        referenceRuns.add(run.get(10, TimeUnit.MINUTES));
      }
    } finally {
      threads.shutdownNow();
    }
  }

  @AfterAll
  static void table() throws IOException {
    List<String> lines = new ArrayList<>(List.of(
        "| case | micro-batches | killed in batch | rows in | rows out | duplicates | lost | values bit-identical"
            + " | statistics equal | restart time (s) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: |"));
    lines.addAll(rows);
    Files.createDirectories(TABLE.toAbsolutePath().getParent());
    Files.write(TABLE, lines, StandardCharsets.UTF_8);
    System.out.println("[StreamExactlyOnceIT] " + TABLE.toAbsolutePath() + ":");
    lines.forEach(line -> System.out.println("[StreamExactlyOnceIT]   " + line));
  }

  @Test
  @Order(1)
  void runningStatisticsKilledMidWriteContinueWithTheSameBits() {
    assertReference(0);
    Run run = Run.in(work.newDir("A"));
    KillAndRestart k = killAndRestart("A", twelveFiles, run, running(twelveFiles, run), false, () -> {});
    check("A: running statistics, a folder per micro-batch", k, referenceA, run, StreamInput.rows(FILES),
        FILES / FILES_PER_TRIGGER, true);
  }

  @Test
  @Order(2)
  void newFilesAddedBeforeTheRestartGiveTheUninterruptedRunOverAllFiles() {
    assertReference(1);
    Path input = work.newDir("in-B");
    StreamInput.copy(pool, input, 0, FILES);
    Run run = Run.in(work.newDir("B"));
    KillAndRestart k = killAndRestart("B", input, run, running(input, run), false,
        () -> StreamInput.copy(pool, input, FILES, FILES + NEW_FILES));
    check("B: as A, 4 files added before the restart", k, referenceB, run, StreamInput.rows(FILES + NEW_FILES),
        (FILES + NEW_FILES) / FILES_PER_TRIGGER, true);
  }

  @Test
  @Order(3)
  void perRowThroughSparksFileSinkKilledMidWriteKeepsEveryRowOnce() {
    assertReference(2);
    Run run = Run.in(work.newDir("C"));
    KillAndRestart k = killAndRestart("C", twelveFiles, run, layer(twelveFiles, run), true, () -> {});
    check("C: layer norm, Spark's file sink", k, referenceC, run, StreamInput.rows(FILES), FILES / FILES_PER_TRIGGER,
        false);
    assertTrue(MidWriteKill.unloggedPartFiles(run.output()) > 0,
        "the killed tasks' part files are still in the output, and the read above skipped them: "
            + WorkDir.list(run.output()));
  }

  private static void assertReference(int index) {
    ChildProcess.Result reference = referenceRuns.get(index);
    assertEquals(0, reference.exitCode(), reference::describe);
  }

  /** What the killed run and the restart did. */
  private record KillAndRestart(String moment, List<Long> killedBatches, ChildProcess.Result restart) {}

  /** Starts the job, kills it mid-write of batch {@value #KILLED_BATCH}, runs {@code between}, runs it again. */
  private static KillAndRestart killAndRestart(String name, Path input, Run run, List<String> args, boolean fileSink,
      Runnable between) {
    Path dir = run.output().getParent();
    ChildProcess job = submit.start("local[2]", List.of(), Map.of(), List.of(), args, dir.resolve("killed.out"),
        dir.resolve("killed.err"));
    String moment = MidWriteKill.killWhen(job, fileSink ? MidWriteKill.fileSinkWriting(run.output(), KILLED_BATCH)
        : MidWriteKill.stagingOfBatch(run.output(), KILLED_BATCH), KILL_LIMIT);
    MidWriteKill.assertKilledMidBatch(run.output(), KILLED_BATCH, fileSink);
    List<Long> killedBatches = MidWriteKill.progressBatches(job.stderr());
    System.out.printf(Locale.ROOT, "[StreamExactlyOnceIT] %s: killed at %.1f s, when %s; batches reported: %s%n",
        name, job.seconds(), moment, killedBatches);
    between.run();
    ChildProcess.Result restart = submit.run(name + ": restart with the same checkpoint", args);
    assertEquals(0, restart.exitCode(), restart::describe);
    return new KillAndRestart(moment, killedBatches, restart);
  }

  /**
   * The restarted run's output against the reference's, recorded in the table before any assertion fails: every id
   * once, the same bits (and micro-batch), the same statistics file; the restart ran the killed batch again first.
   */
  private static void check(String label, KillAndRestart k, Run reference, Run run, int inputRows, int batches,
      boolean statistics) {
    StreamOutput expected = StreamOutput.read(spark, reference.output(), inputRows, statistics);
    StreamOutput actual = StreamOutput.read(spark, run.output(), inputRows, statistics);
    AssertionFailedError valuesFailure = null;
    try {
      actual.assertSameAs(expected, label);
    } catch (AssertionFailedError e) {
      valuesFailure = e;
    }
    AssertionFailedError statisticsFailure = null;
    if (statistics) {
      try {
        SameBits.assertSameStatistics(reference.stats(), run.stats(), label);
        assertSameRunningState(reference, run, batches - 1, label);
      } catch (AssertionFailedError e) {
        statisticsFailure = e;
      }
    }
    int batchCount = statistics ? actual.batches : batches;
    rows.add(String.format(Locale.ROOT, "| %s | %d | %d | %d | %d | %d | %d | %s | %s | %.1f |", label, batchCount,
        KILLED_BATCH, inputRows, actual.rowsOut, actual.duplicates, actual.lost, valuesFailure == null ? "yes" : "NO",
        !statistics ? "n/a (per row)" : statisticsFailure == null ? "yes" : "NO", k.restart().seconds()));
    if (valuesFailure != null) {
      throw valuesFailure;
    }
    if (statisticsFailure != null) {
      throw statisticsFailure;
    }
    if (statistics) {
      assertEquals(batches, expected.batches, label + ": micro-batches of the reference");
      assertEquals(batches, actual.batches, label + ": micro-batches");
    }
    assertEquals(LongStream.range(KILLED_BATCH, batches).boxed().toList(),
        MidWriteKill.progressBatches(k.restart().stderr()),
        label + ": the restart runs the killed batch again, then the rest\n" + k.restart().stderr());
  }

  /** The running statistics the checkpoints hold after the last micro-batch: the same bytes. */
  private static void assertSameRunningState(Run reference, Run run, int lastBatch, String label) {
    Path expected = reference.checkpoint().resolve("sparknorm/running/" + lastBatch);
    Path actual = run.checkpoint().resolve("sparknorm/running/" + lastBatch);
    assertTrue(Files.isRegularFile(expected), label + ": no running state " + expected);
    assertTrue(Files.isRegularFile(actual), label + ": no running state " + actual);
    try {
      assertTrue(Arrays.equals(Files.readAllBytes(expected), Files.readAllBytes(actual)),
          label + ": the running state after batch " + lastBatch + " differs from the reference's");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> running(Path input, Run run) {
    return stream(input, run, "--method", "batch", "--momentum", "0.1", "--stats-out", run.stats().toString());
  }

  private static List<String> layer(Path input, Run run) {
    return stream(input, run, "--method", "layer");
  }

  private static List<String> stream(Path input, Run run, String... method) {
    List<String> args = new ArrayList<>(List.of("--stream", "--input", input.toString(), "--output",
        run.output().toString(), "--checkpoint", run.checkpoint().toString(), "--trigger", "available-now",
        "--max-files-per-trigger", Integer.toString(FILES_PER_TRIGGER), "--shape", Integer.toString(StreamInput.SIZE),
        "--id-col", "id"));
    args.addAll(List.of(method));
    return args;
  }
}
