package io.sparknorm.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ChildProcess}: output captured, waits bounded, and nothing it started outlives a timeout, stop or kill. */
class ChildProcessTest {

  @Test
  void aRunGivesTheExitCodeAndBothStreams() {
    ChildProcess.Result result = ChildProcess.of("sh", "-c", "echo out; echo err >&2; echo \"${GONE-unset} $ADDED\";"
        + " exit 3").env("GONE", "here").without("GONE").env("ADDED", "added").run(Duration.ofSeconds(30));
    assertEquals(3, result.exitCode(), result::describe);
    assertEquals("out\nunset added\n", result.stdout());
    assertEquals("err\n", result.stderr());
    assertTrue(result.describe().startsWith("exit code 3 after "), result.describe());
  }

  @Test
  void aRunOverItsTimeIsKilledWithWhatItStarted(@TempDir Path dir) throws Exception {
    Path pid = dir.resolve("pid");
    ChildProcess.Timeout timeout = assertThrows(ChildProcess.Timeout.class, () -> ChildProcess.of("sh", "-c",
        "sleep 60 & echo $! > " + pid + "; echo started; wait").run(Duration.ofSeconds(2)));
    assertEquals(-1, timeout.partial().exitCode());
    assertEquals("started\n", timeout.partial().stdout());
    assertGone(Long.parseLong(Files.readString(pid).strip()));
  }

  @Test
  void stopEndsTheProcessAndEverythingItStarted(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out");
    // The shell ignores SIGTERM: the stop must come to SIGKILL, and kill the sleep it started too.
    ChildProcess child = ChildProcess.of("sh", "-c", "trap '' TERM; sleep 60 & echo $!; wait")
        .output(out, dir.resolve("err")).start();
    long sleeper = awaitPid(child, out);
    assertTrue(child.isAlive());
    assertEquals(1, child.descendants().size(), child.descendants()::toString);
    ChildProcess.Stop stop = child.stop(Duration.ofMillis(500));
    assertTrue(stop.gone(), stop.report());
    assertTrue(stop.report().contains("killed (SIGKILL)"), stop.report());
    assertFalse(child.isAlive());
    assertGone(sleeper);
    assertTrue(child.stop(Duration.ofMillis(500)).gone(), "a second stop");
  }

  @Test
  void killEndsItAtOnce(@TempDir Path dir) {
    ChildProcess child = ChildProcess.of("sleep", "60").output(dir.resolve("out"), dir.resolve("err")).start();
    assertFalse(child.waitFor(Duration.ofMillis(100)));
    child.kill();
    assertFalse(child.isAlive());
    assertEquals(137, child.exitCode());
  }

  @Test
  void commandLineReadsAProcesssArguments() {
    List<String> own = ChildProcess.commandLine(ProcessHandle.current().pid());
    assertTrue(own.get(0).endsWith("java"), own::toString);
  }

  /** The pid that the child wrote as its first line of output. */
  private static long awaitPid(ChildProcess child, Path out) throws Exception {
    for (int i = 0; i < 100; i++) {
      String text = Files.exists(out) ? Files.readString(out) : "";
      if (text.endsWith("\n")) {
        return Long.parseLong(text.strip());
      }
      child.waitFor(Duration.ofMillis(50));
    }
    throw new AssertionError("the child wrote no pid within 5 s");
  }

  private static void assertGone(long pid) {
    Optional<ProcessHandle> process = ProcessHandle.of(pid);
    assertTrue(process.isEmpty() || !process.get().isAlive(), "pid " + pid + " still runs");
  }
}
