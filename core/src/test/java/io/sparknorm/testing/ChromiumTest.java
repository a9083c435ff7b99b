package io.sparknorm.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The headless Chromium harness: it sees what a broken page logs, returns the DOM after scripts, stops a hung page, and
 * says what to install when there is no browser.
 */
class ChromiumTest {
  @TempDir
  Path dir;

  @Test
  void catchesConsoleErrorsAndUncaughtExceptions() throws Exception {
    Path page = page("bad.html", "<p id=\"p\">before</p><script>\n"
        + "console.error('report broke:', 42);\n"
        + "document.getElementById('p').textContent = 'after';\n"
        + "setTimeout(function () { throw new Error('late boom'); }, 50);\n"
        + "Promise.reject(new Error('rejected'));\n"
        + "null.foo();\n"
        + "</script>");
    Chromium.Result result = Chromium.get().open(page, null, null);
    System.out.println(Chromium.get().version() + ", console of a broken page:\n" + result.consoleText());
    assertTrue(result.dom().contains("<p id=\"p\">after</p>"), result.dom());
    assertFalse(result.console().isEmpty(), "a clean-page check (console empty) fails on this page");
    // Chromium 156 logs console.error at INFO, like console.log:
    // [pid:tid:MMDD/HHMMSS.micros:INFO:CONSOLE:2] "report broke: 42", source: file:///.../bad.html (2)
    Chromium.ConsoleMessage error = find(result.console(), "report broke: 42");
    assertEquals(2, error.line());
    assertEquals(page.toUri().toString(), error.source());
    String expected = "\\[\\d+:\\d+:\\d{4}/\\d{6}\\.\\d{6}:INFO:CONSOLE:2\\] \"report broke: 42\", source: "
        + Pattern.quote(page.toUri().toString()) + " \\(2\\)";
    assertTrue(result.stderr().lines().anyMatch(l -> l.matches(expected)), result.stderr());
    List<String> errors = result.errors().stream().map(Chromium.ConsoleMessage::text).toList();
    assertTrue(errors.contains("Uncaught TypeError: Cannot read properties of null (reading 'foo')"), errors::toString);
    assertTrue(errors.contains("Uncaught (in promise) Error: rejected"), errors::toString);
    assertTrue(errors.contains("Uncaught Error: late boom"), errors::toString);
    assertEquals(6, find(result.console(), "Uncaught TypeError").line());
  }

  @Test
  void cleanPageHasAnEmptyConsoleAndAScreenshot() throws Exception {
    Path page = page("clean.html", "<h1 id=\"h\">x</h1><script>\n"
        + "document.getElementById('h').textContent = 'hash ' + location.hash;\n</script>");
    Path png = dir.resolve("shots/clean.png");
    Chromium.Result result = Chromium.get().open(page, "a=1&b", png);
    assertEquals(0, result.exitCode());
    assertTrue(result.console().isEmpty(), result.consoleText());
    assertTrue(result.dom().contains("<h1 id=\"h\">hash #a=1&amp;b</h1>"), result.dom());
    byte[] head = Arrays.copyOf(Files.readAllBytes(png), 8);
    assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, head);
  }

  @Test
  void aHungPageIsKilledInTime() throws Exception {
    Path page = page("hang.html", "<script>while (true) {}</script>");
    long start = System.nanoTime();
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Chromium.get().open(page, null, null, 800, 600, Duration.ofSeconds(8)));
    assertTrue(System.nanoTime() - start < Duration.ofSeconds(25).toNanos());
    Matcher pid = Pattern.compile("pid (\\d+)").matcher(e.getMessage());
    assertTrue(pid.find(), e.getMessage());
    Thread.sleep(500);
    assertFalse(ProcessHandle.of(Long.parseLong(pid.group(1))).map(ProcessHandle::isAlive).orElse(false));
  }

  @Test
  void aMissingBrowserFailsSayingWhatToInstallAndInstallsNothing() throws Exception {
    Path empty = Files.createDirectories(dir.resolve("empty-bin"));
    long start = System.nanoTime();
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Chromium.find(List.of(empty.resolve("chromium").toString()), List.of(empty.toString())));
    assertTrue(e.getMessage().contains("apt-get install -y chromium"), e.getMessage());
    assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos(), "it tried more than a look-up");
  }

  @Test
  void findsTheFirstBrowserOnTheSearchPathAndAsksItsVersion() throws Exception {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path fake = bin.resolve("chromium-browser");
    Files.writeString(fake, "#!/bin/sh\necho 'Fake Chromium 1.2.3 built here'\n");
    assertTrue(fake.toFile().setExecutable(true));
    Chromium found = Chromium.find(List.of(), List.of(dir.resolve("nothing").toString(), bin.toString()));
    assertEquals(fake, found.binary());
    assertEquals("Fake Chromium 1.2.3 built here", found.version());
  }

  @Test
  void parsesBothLogFormats() {
    String stderr = "[1:1:1126/232620.253396:ERROR:dbus/bus.cc:405] Failed to connect to the bus\n"
        + "[1:1:1126/232622.214774:INFO:CONSOLE:2] \"a log\", source: file:///t.html (2)\n"
        + "[1:1:1126/232622.214775:INFO:CONSOLE(7)] \"two\nlines\", source: file:///t.html (7)\n"
        + "[1:1:1126/232622.221730:INFO:CONSOLE:6] \"Uncaught TypeError: x\", source: file:///t.html (6)\n";
    List<Chromium.ConsoleMessage> messages = Chromium.parseConsole(stderr);
    assertEquals(List.of(new Chromium.ConsoleMessage("INFO", 2, "a log", "file:///t.html"),
        new Chromium.ConsoleMessage("INFO", 7, "two\nlines", "file:///t.html"),
        new Chromium.ConsoleMessage("INFO", 6, "Uncaught TypeError: x", "file:///t.html")), messages);
    assertEquals(List.of(messages.get(2)), messages.stream().filter(Chromium.ConsoleMessage::isError).toList());
  }

  private Path page(String name, String body) throws Exception {
    Path file = dir.resolve(name);
    Files.writeString(file, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>" + body
        + "</body></html>");
    return file;
  }

  private static Chromium.ConsoleMessage find(List<Chromium.ConsoleMessage> console, String start) {
    return console.stream().filter(m -> m.text().startsWith(start)).findFirst()
        .orElseThrow(() -> new AssertionError("no console message starting with '" + start + "' in " + console));
  }
}
