package io.sparknorm.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * What the job reads of Spark's checkpoint: the micro-batches planned ({@code offsets/N}) and committed
 * ({@code commits/N}), and the files a file source gave each micro-batch ({@code sources/0/N}, or the compacted
 * {@code sources/0/N.compact}: a version line, then one JSON entry a line with {@code path} and {@code batchId}).
 */
final class CheckpointLogs {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path checkpoint;
  private final Configuration conf;

  CheckpointLogs(Path checkpoint, Configuration conf) {
    this.checkpoint = checkpoint;
    this.conf = conf;
  }

  /** The highest micro-batch id in the log {@code offsets} or {@code commits}; -1 when none. */
  long latest(String log) throws IOException {
    Path folder = new Path(checkpoint, log);
    FileSystem fs = folder.getFileSystem(conf);
    if (!fs.exists(folder)) {
      return -1;
    }
    long latest = -1;
    for (FileStatus entry : fs.listStatus(folder)) {
      String name = entry.getPath().getName();
      if (name.matches("\\d+")) {
        latest = Math.max(latest, Long.parseLong(name));
      }
    }
    return latest;
  }

  /** Whether a micro-batch was ever committed (so the output holds this checkpoint's rows). */
  boolean hasCommits() throws IOException {
    return latest("commits") >= 0;
  }

  /** The input files of micro-batch {@code batchId} of the file source; empty when the log has none. */
  List<String> files(long batchId) throws IOException {
    Path folder = new Path(checkpoint, "sources/0");
    FileSystem fs = folder.getFileSystem(conf);
    List<String> files = new ArrayList<>();
    for (Path log : List.of(new Path(folder, Long.toString(batchId)), new Path(folder, batchId + ".compact"))) {
      if (!fs.exists(log)) {
        continue;
      }
      try (BufferedReader in = new BufferedReader(new InputStreamReader(fs.open(log), StandardCharsets.UTF_8))) {
        in.readLine();  // the log's version, "v1"
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          if (line.isBlank()) {
            continue;
          }
          JsonNode entry = JSON.readTree(line);
          if (entry.path("batchId").asLong(-1) == batchId) {
            files.add(pathOf(entry.path("path").asText()));
          }
        }
      }
      break;
    }
    return files;
  }

  /** The log's path (a URI, its characters escaped) as a Hadoop path's text. */
  private static String pathOf(String uri) {
    try {
      return new Path(new java.net.URI(uri)).toString();
    } catch (java.net.URISyntaxException e) {
      return uri;
    }
  }

  /** The bytes of these files; 0 for one that is gone. */
  long bytes(List<String> files) {
    long bytes = 0;
    for (String file : files) {
      try {
        Path path = new Path(file);
        bytes += path.getFileSystem(conf).getFileStatus(path).getLen();
      } catch (IOException | RuntimeException gone) {
        // Counted as 0: only the summary's mb_per_s uses it.
      }
    }
    return bytes;
  }
}
