package io.sparknorm.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Batch statistics beyond the range of double reach the job by different layers: the DataFrame
 * API names the column ({@code column 'features': batch_norm_stats: ...}), statistics per key name
 * the key, a mini-batch's aggregate fails inside a Spark task with the SQL function's wording
 * ({@code batch_norm_stats: ...}). The job words them all alike from the rule's fields (the rule
 * and the core's reason), whatever words the layer in between chose.
 */
class StatisticsOverflowJobTest extends JobTestSupport {

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"whole input", "per key", "mini-batches", "statistics only", "report"})
  void theErrorLineIsTheJobsWhicheverLayerMetTheOverflow(String route) throws IOException {
    Path input = dir.resolve("big.jsonl");
    Files.write(input, List.of("{\"id\": 0, \"site\": \"a\", \"features\": [1.5e308, 1]}",
        "{\"id\": 1, \"site\": \"a\", \"features\": [-1.5e308, 2]}",
        "{\"id\": 2, \"site\": \"a\", \"features\": [1.0e308, 3]}",
        "{\"id\": 3, \"site\": \"a\", \"features\": [-1.0e308, 4]}"));
    String out = results.resolve("out").toString();
    String stats = results.resolve("stats.json").toString();
    JobRun run = switch (route) {
      case "whole input" -> JobRun.of("--input", input.toString(), "--output", out, "--method", "batch");
      case "per key" -> JobRun.of("--input", input.toString(), "--output", out, "--method", "batch", "--by", "site");
      case "mini-batches" -> JobRun.of("--input", input.toString(), "--output", out, "--method", "batch",
          "--batch-size", "2", "--order-by", "id");
      case "statistics only" -> JobRun.of("--input", input.toString(), "--stats-out", stats, "--method", "batch",
          "--stats-only");
      default -> JobRun.of("--input", input.toString(), "--output", out, "--method", "batch", "--report",
          results.resolve("report.html").toString());
    };
    run.assertFailed("error: column 'features': batch norm statistics overflow the range of double (batch norm"
        + " statistics: the variance of channel 0 of shape (2,) is beyond the double range (above "
        + Double.MAX_VALUE + "); the values are too far apart): the exact variance of these values is beyond the"
        + " largest double (1.8e308); scale the data down", results);
  }
}
