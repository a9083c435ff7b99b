package io.sparknorm.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A process that a test starts: standard input from the null device, standard output and error into files (a chatty
 * process never blocks on a full pipe), every wait bounded, stopped or killed by its process id together with every
 * process it started, and killed by a shutdown hook should the test JVM end first.
 *
 * <p>{@link #of} describes the command; {@link Launch#run} starts it and waits for it with a bound (killing it and
 * throwing {@link Timeout} when it takes longer), {@link Launch#start} leaves it running for {@link #waitFor},
 * {@link #stop} (SIGTERM, a grace period, then SIGKILL) or {@link #kill} (SIGKILL).
 */
public final class ChildProcess implements AutoCloseable {

  /** How long a kill waits for the process to be gone. */
  private static final Duration KILL_WAIT = Duration.ofSeconds(10);

  /** What a run did: its exit code and both output streams, decoded as UTF-8. */
  public record Result(List<String> command, int exitCode, String stdout, String stderr, double seconds) {

    /** Standard output, then standard error. */
    public String output() {
      return stdout + stderr;
    }

    /** For assertion messages: the exit code and the end of both streams. */
    public String describe() {
      return String.format(Locale.ROOT, "exit code %d after %.1f s: %s", exitCode, seconds, String.join(" ", command))
          + "\n--- stdout ---\n" + last(stdout, 8000) + "\n--- stderr ---\n" + last(stderr, 12000);
    }
  }

  /** A run that did not end in time: it and every process it started were killed. */
  public static final class Timeout extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient Result partial;

    Timeout(Duration timeout, Result partial) {
      super("did not end within " + timeout + ", killed: " + partial.describe());
      this.partial = partial;
    }

    /** What the process had written before it was killed; exit code -1. */
    public Result partial() {
      return partial;
    }
  }

  /** The command, its environment and where its output goes, before it starts. */
  public static final class Launch {
    private final List<String> command;
    private final Map<String, String> env = new LinkedHashMap<>();
    private Path stdout;
    private Path stderr;

    private Launch(List<String> command) {
      this.command = List.copyOf(command);
    }

    /** Sets a variable in the child's environment (which is otherwise this JVM's); null removes it. */
    public Launch env(String name, String value) {
      env.put(name, value);
      return this;
    }

    /** Sets these variables; a null value removes one. */
    public Launch env(Map<String, String> variables) {
      variables.forEach(env::put);
      return this;
    }

    /** Removes these variables from the child's environment. */
    public Launch without(String... names) {
      for (String name : names) {
        env.put(name, null);
      }
      return this;
    }

    /** Where standard output and error go (kept); by default temporary files, deleted once a run is read. */
    public Launch output(Path out, Path err) {
      this.stdout = out;
      this.stderr = err;
      return this;
    }

    /** Starts the process and leaves it running. */
    public ChildProcess start() {
      boolean temporary = stdout == null;
      try {
        Path out = temporary ? Files.createTempFile("child-", ".out") : stdout;
        Path err = temporary ? Files.createTempFile("child-", ".err") : stderr;
        ProcessBuilder builder = new ProcessBuilder(command)
            .redirectInput(ProcessBuilder.Redirect.from(nullDevice()))
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());
        env.forEach((name, value) -> {
          if (value == null) {
            builder.environment().remove(name);
          } else {
            builder.environment().put(name, value);
          }
        });
        return new ChildProcess(command, builder.start(), out, err, temporary);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot run " + command, e);
      }
    }

    /**
     * Runs the process to its end, at most {@code timeout}: then it and everything it started are killed and
     * {@link Timeout} is thrown with what it had written.
     */
    public Result run(Duration timeout) {
      ChildProcess child = start();
      try {
        if (!child.waitFor(timeout)) {
          child.kill();
          if (Thread.currentThread().isInterrupted()) {
            throw new IllegalStateException("interrupted while waiting for " + command + "; killed it");
          }
          throw new Timeout(timeout, child.result(-1));
        }
        return child.result(child.process.exitValue());
      } finally {
        child.removeShutdownHook();
        child.deleteTemporaryOutput();
      }
    }
  }

  private final List<String> command;
  private final Process process;
  private final Path stdout;
  private final Path stderr;
  private final boolean temporaryOutput;
  private final long startNanos = System.nanoTime();
  private final Thread shutdownHook;

  private ChildProcess(List<String> command, Process process, Path stdout, Path stderr, boolean temporaryOutput) {
    this.command = command;
    this.process = process;
    this.stdout = stdout;
    this.stderr = stderr;
    this.temporaryOutput = temporaryOutput;
    this.shutdownHook = new Thread(() -> killTree(process.toHandle()), "kill child " + process.pid());
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /** A process to start with this command (the program, then its arguments). */
  public static Launch of(List<String> command) {
    return new Launch(command);
  }

  public static Launch of(String... command) {
    return of(List.of(command));
  }

  public long pid() {
    return process.pid();
  }

  public ProcessHandle handle() {
    return process.toHandle();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** The exit code; the process must have ended. */
  public int exitCode() {
    return process.exitValue();
  }

  /** Seconds since the start. */
  public double seconds() {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  /** Waits at most {@code timeout} for the process to end; whether it has. An interrupt ends the wait early. */
  public boolean waitFor(Duration timeout) {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !process.isAlive();
    }
  }

  /** Standard output so far. */
  public String stdout() {
    return read(stdout);
  }

  /** Standard error so far. */
  public String stderr() {
    return read(stderr);
  }

  /** The end of both streams so far, for assertion messages. */
  public String tail() {
    return "--- stdout (end) ---\n" + last(stdout(), 3000) + "\n--- stderr (end) ---\n" + last(stderr(), 6000);
  }

  /** The processes it started that still run, as "pid: command line". */
  public List<String> descendants() {
    return process.descendants().map(p -> p.pid() + ": " + p.info().commandLine().orElse("?")).toList();
  }

  /** What one {@link #stop} did, and whether anything of the process is left. */
  public record Stop(boolean gone, String report) {}

  /**
   * SIGTERM, up to {@code grace} for the process to end, then SIGKILL to it and everything it started; then waits
   * for all of them, at most 10 s more. Again, it reports that nothing is left.
   */
  public Stop stop(Duration grace) {
    removeShutdownHook();
    List<ProcessHandle> family = new ArrayList<>(process.descendants().toList());
    if (!process.isAlive() && family.isEmpty()) {
      return new Stop(true, "pid " + pid() + " had ended with exit code " + process.exitValue());
    }
    long t0 = System.nanoTime();
    process.destroy();
    String how;
    if (waitFor(grace)) {
      how = String.format(Locale.ROOT, "SIGTERM, ended in %.1f s with exit code %d", (System.nanoTime() - t0) / 1e9,
          process.exitValue());
    } else {
      family.addAll(process.descendants().toList());
      how = "did not end within " + grace + " of SIGTERM: killed (SIGKILL)";
    }
    // Whatever it started must not outlive it.
    family.forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    List<Long> alive = awaitGone(family);
    return new Stop(alive.isEmpty(), "pid " + pid() + ": " + how
        + (family.isEmpty() ? "" : "; children " + family.stream().map(ProcessHandle::pid).toList())
        + (alive.isEmpty() ? "" : "; STILL ALIVE: " + alive)
        + String.format(Locale.ROOT, "; up %.1f s in all", seconds()));
  }

  /** SIGKILL to the process and everything it started; waits at most 10 s for them to be gone. */
  public void kill() {
    removeShutdownHook();
    List<ProcessHandle> family = process.descendants().toList();
    family.forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    awaitGone(family);
  }

  /** {@link #stop} with 30 s of grace. */
  @Override
  public void close() {
    stop(Duration.ofSeconds(30));
  }

  /** SIGKILL to a process that this JVM did not start (found by its pid) and to everything it started. */
  public static void killTree(ProcessHandle process) {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }

  /** A process's arguments: /proc/PID/cmdline on Linux (complete), else what the JDK reports; empty once it ended. */
  public static List<String> commandLine(long pid) {
    Path proc = Path.of("/proc", Long.toString(pid), "cmdline");
    try {
      if (Files.isReadable(proc)) {
        return List.of(new String(Files.readAllBytes(proc), StandardCharsets.UTF_8).split("\0"));
      }
    } catch (IOException e) {
      // ended in between, or not Linux: ask the JDK
    }
    return ProcessHandle.of(pid).flatMap(p -> p.info().arguments()).map(List::of).orElse(List.of());
  }

  // ------------------------------------------------------------------------------------------------------------

  private Result result(int exitCode) {
    return new Result(command, exitCode, stdout(), stderr(), seconds());
  }

  /** Waits for the process and these others to be gone, at most 10 s; the pids still alive. */
  private List<Long> awaitGone(List<ProcessHandle> family) {
    long deadline = System.nanoTime() + KILL_WAIT.toNanos();
    waitFor(KILL_WAIT);
    for (ProcessHandle p : family) {
      long left = deadline - System.nanoTime();
      if (left > 0) {
        try {
          p.onExit().get(left, TimeUnit.NANOSECONDS);
        } catch (Exception stillRunningOrInterrupted) {
          // reported below
        }
      }
    }
    List<Long> alive = new ArrayList<>();
    if (process.isAlive()) {
      alive.add(process.pid());
    }
    family.stream().filter(ProcessHandle::isAlive).map(ProcessHandle::pid).forEach(alive::add);
    return alive;
  }

  private void removeShutdownHook() {
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException shuttingDown) {
      // the hook runs anyway
    }
  }

  private void deleteTemporaryOutput() {
    if (temporaryOutput) {
      for (Path file : List.of(stdout, stderr)) {
        try {
          Files.deleteIfExists(file);
        } catch (IOException ignored) {
          // a temporary file left behind is harmless
        }
      }
    }
  }

  private static String read(Path file) {
    try {
      // Lenient: a malformed byte becomes U+FFFD instead of failing the test.
      return Files.exists(file) ? new String(Files.readAllBytes(file), StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e + ")";
    }
  }

  private static String last(String text, int chars) {
    return text.length() <= chars ? text : "..." + text.substring(text.length() - chars);
  }

  private static File nullDevice() {
    return new File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
  }
}
