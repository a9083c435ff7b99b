package io.sparknorm.runner;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * One application's Spark event log, as {@code spark.eventLog.enabled=true} with {@code spark.eventLog.dir=DIR}
 * (and {@code spark.eventLog.compress=false}) writes it: Spark 4 rolls it, in {@code DIR/eventlog_v2_APPID/events_N_APPID}
 * files, read here in order of N. Answers what a test of executor loss needs to know: which SQL execution (by its
 * description, the call site such as {@code save at Formats.java:131}) ran which jobs and stages, which
 * tasks ended how and on which executor, and when executors were added and removed.
 */
final class EventLog {

  private static final String SQL_START = "org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart";
  private static final Pattern EVENTS_FILE = Pattern.compile("events_(\\d+)_.*");

  /** A task that ended: its stage, executor, and end reason ({@code Success}, {@code ExecutorLostFailure}, ...). */
  record TaskEnd(int stageId, int stageAttempt, long taskId, String executorId, String reason, long finishTime) {
  }

  /** An executor added or removed, with the time (ms since the epoch) and, for a removal, Spark's reason. */
  record ExecutorEvent(String executorId, long time, String reason) {
  }

  private final String appId;
  private final List<JsonNode> events;

  private EventLog(String appId, List<JsonNode> events) {
    this.appId = appId;
    this.events = events;
  }

  /** Reads the single application log under {@code dir}; fails when there is none or more than one. */
  static EventLog read(Path dir) {
    try (Stream<Path> apps = Files.list(dir)) {
      List<Path> logs = apps.filter(p -> p.getFileName().toString().startsWith("eventlog_v2_")).toList();
      if (logs.size() != 1) {
        throw new IllegalStateException("expected one eventlog_v2_* folder in " + dir + ", found " + logs
            + " (everything there: " + WorkDir.list(dir) + ")");
      }
      Path log = logs.get(0);
      List<Path> files;
      try (Stream<Path> parts = Files.list(log)) {
        files = parts.filter(p -> EVENTS_FILE.matcher(p.getFileName().toString()).matches())
            .sorted(Comparator.comparingInt(EventLog::index)).toList();
      }
      if (files.isEmpty()) {
        throw new IllegalStateException("no events_N_* file in " + log + ": " + WorkDir.list(log));
      }
      List<JsonNode> events = new ArrayList<>();
      for (Path file : files) {
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
          if (!line.isBlank()) {
            events.add(TestSpark.JSON.readTree(line));
          }
        }
      }
      return new EventLog(log.getFileName().toString().substring("eventlog_v2_".length()), events);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int index(Path file) {
    Matcher m = EVENTS_FILE.matcher(file.getFileName().toString());
    return m.matches() ? Integer.parseInt(m.group(1)) : Integer.MAX_VALUE;
  }

  String appId() {
    return appId;
  }

  int size() {
    return events.size();
  }

  private Stream<JsonNode> events(String type) {
    return events.stream().filter(e -> type.equals(e.path("Event").asText()));
  }

  /** SQL execution id to its description, in the order they started. */
  Map<Long, String> sqlExecutions() {
    Map<Long, String> executions = new LinkedHashMap<>();
    events(SQL_START).forEach(e -> executions.put(e.path("executionId").asLong(), e.path("description").asText()));
    return executions;
  }

  /** The stages of every job run for a SQL execution whose description contains {@code descriptionPart}. */
  Set<Integer> stagesOf(String descriptionPart) {
    Set<String> executionIds = new LinkedHashSet<>();
    sqlExecutions().forEach((id, description) -> {
      if (description.contains(descriptionPart)) {
        executionIds.add(Long.toString(id));
      }
    });
    Set<Integer> stages = new LinkedHashSet<>();
    events("SparkListenerJobStart").forEach(e -> {
      if (executionIds.contains(e.path("Properties").path("spark.sql.execution.id").asText("-"))) {
        e.path("Stage IDs").forEach(id -> stages.add(id.asInt()));
      }
    });
    return stages;
  }

  /** Stage id to its name (the call site). */
  Map<Integer, String> stageNames() {
    Map<Integer, String> names = new LinkedHashMap<>();
    events("SparkListenerStageSubmitted").forEach(e -> names.put(e.path("Stage Info").path("Stage ID").asInt(),
        e.path("Stage Info").path("Stage Name").asText()));
    return names;
  }

  List<TaskEnd> taskEnds() {
    return events("SparkListenerTaskEnd").map(e -> new TaskEnd(e.path("Stage ID").asInt(),
        e.path("Stage Attempt ID").asInt(), e.path("Task Info").path("Task ID").asLong(),
        e.path("Task Info").path("Executor ID").asText(), e.path("Task End Reason").path("Reason").asText(),
        e.path("Task Info").path("Finish Time").asLong())).toList();
  }

  /** Per stage, the input records each successful task read (Spark's task metrics), in the order tasks ended. */
  Map<Integer, List<Long>> recordsReadBySuccessfulTask() {
    Map<Integer, List<Long>> records = new LinkedHashMap<>();
    events("SparkListenerTaskEnd").filter(e -> "Success".equals(e.path("Task End Reason").path("Reason").asText()))
        .forEach(e -> records.computeIfAbsent(e.path("Stage ID").asInt(), id -> new ArrayList<>())
            .add(e.path("Task Metrics").path("Input Metrics").path("Records Read").asLong()));
    return records;
  }

  List<ExecutorEvent> executorsAdded() {
    return events("SparkListenerExecutorAdded").map(e -> new ExecutorEvent(e.path("Executor ID").asText(),
        e.path("Timestamp").asLong(), null)).toList();
  }

  List<ExecutorEvent> executorsRemoved() {
    return events("SparkListenerExecutorRemoved").map(e -> new ExecutorEvent(e.path("Executor ID").asText(),
        e.path("Timestamp").asLong(), e.path("Removed Reason").asText())).toList();
  }

  /** Job id to its result ({@code JobSucceeded}, {@code JobFailed}). */
  Map<Integer, String> jobResults() {
    Map<Integer, String> results = new LinkedHashMap<>();
    events("SparkListenerJobEnd").forEach(e -> results.put(e.path("Job ID").asInt(),
        e.path("Job Result").path("Result").asText()));
    return results;
  }

  /** Whether the application's end was logged (the log is complete). */
  boolean ended() {
    return events("SparkListenerApplicationEnd").findAny().isPresent();
  }
}
