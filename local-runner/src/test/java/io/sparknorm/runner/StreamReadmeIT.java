package io.sparknorm.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparknorm.testing.ChildProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The README's stream command as a user pastes it: the digits split into files of 450 lines as its {@code split}
 * line does, read one file a micro-batch with running statistics. Its running statistics must be those of the
 * {@code --batch-size 450} replay over the same rows in the same order, bit for bit: one micro-batch is one
 * mini-batch.
 */
@ExtendWith(SubmitSuite.class)
class StreamReadmeIT {
  private static final int DIGITS = 1797;
  private static final int LINES_PER_FILE = 450;
  private static final String SPLIT = "split -l " + LINES_PER_FILE
      + " -d --additional-suffix=.jsonl data/digits.jsonl target/demo/digits-files/digits-";

  /** Set by {@link SubmitSuite}. */
  private static SparkSession spark;
  private static WorkDir work;
  private static JobSubmitter submit;

  /** The digits in files of 450 lines named as split names them, each file a minute newer than the one before. */
  private static Path splitDigits(Path folder) throws IOException {
    List<String> lines = Files.readAllLines(ReadmeCommand.root().resolve("data/digits.jsonl"), StandardCharsets.UTF_8);
    Files.createDirectories(folder);
    long minute = 60_000;
    for (int part = 0; part * LINES_PER_FILE < lines.size(); part++) {
      Path file = folder.resolve(String.format(Locale.ROOT, "digits-%02d.jsonl", part));
      List<String> chunk = lines.subList(part * LINES_PER_FILE, Math.min(lines.size(), (part + 1) * LINES_PER_FILE));
      Files.write(file, chunk, StandardCharsets.UTF_8);
      Files.setLastModifiedTime(file, FileTime.fromMillis(1_700_000_000_000L + part * minute));
    }
    return folder;
  }

  @Test
  void theReadmeStreamKeepsTheRunningStatisticsOfTheReplayOverTheSameMiniBatches() throws IOException {
    String readmeText = Files.readString(ReadmeCommand.root().resolve("README.md"));
    assertTrue(readmeText.contains(SPLIT), "the README's split line: " + SPLIT);
    ReadmeCommand readme = ReadmeCommand.find("--stream", "--momentum");
    Path dir = work.newDir("readme-stream");
    Path files = splitDigits(dir.resolve("digits-files"));
    Path output = dir.resolve("digits-stream");
    Path statsOut = dir.resolve("digits-running.json");

    ChildProcess.Result stream = submit.runAsIs("the README's stream command", ReadmeCommand.root(),
        readme.with("--input", files.toString()).with("--output", output.toString())
            .with("--checkpoint", dir.resolve("checkpoint").toString()).with("--stats-out", statsOut.toString())
            .arguments());

    assertEquals(0, stream.exitCode(), stream::describe);
    assertTrue(stream.stdout().contains(" rows_in=" + DIGITS + " rows_out=" + DIGITS + " "), stream::describe);
    assertTrue(stream.stdout().strip().endsWith(" batches=4"), stream::describe);
    for (int batch = 0; batch < 4; batch++) {
      String line = "sparknorm: batch " + batch + " rows=" + Math.min(LINES_PER_FILE, DIGITS - batch * LINES_PER_FILE)
          + " ";
      assertTrue(stream.stderr().lines().anyMatch(l -> l.startsWith(line)), line + " in " + stream.describe());
      assertTrue(Files.isDirectory(output.resolve("batch_id=" + batch)), "batch_id=" + batch);
    }
    assertEquals(DIGITS, spark.read().parquet(output.toString()).count());

    Path replayStats = dir.resolve("replay.json");
    ChildProcess.Result replay = submit.run("the replay over the same rows", List.of("--input",
        ReadmeCommand.root().resolve("data/digits.jsonl").toString(), "--output", dir.resolve("replay").toString(),
        "--method", "batch", "--shape", readme.value("--shape"), "--batch-size", String.valueOf(LINES_PER_FILE),
        "--momentum", readme.value("--momentum"), "--stats-out", replayStats.toString()));
    assertEquals(0, replay.exitCode(), replay::describe);

    JsonNode streamed = TestSpark.JSON.readTree(statsOut.toFile());
    JsonNode replayed = TestSpark.JSON.readTree(replayStats.toFile());
    assertEquals(3, streamed.get("batch_id").asLong());
    assertEquals(DIGITS, streamed.get("rows_seen").asLong());
    assertEquals(4, streamed.get("num_batches_tracked").asLong());
    assertEquals(replayed.get("num_batches_tracked"), streamed.get("num_batches_tracked"));
    for (String key : List.of("running_mean", "running_var")) {
      assertEquals(64, streamed.get(key).size(), key);
      for (int c = 0; c < 64; c++) {
        assertEquals(Double.doubleToLongBits(replayed.get(key).get(c).asDouble()),
            Double.doubleToLongBits(streamed.get(key).get(c).asDouble()), key + "[" + c + "]");
      }
    }
  }
}
