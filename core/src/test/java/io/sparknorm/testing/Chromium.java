package io.sparknorm.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Headless Chromium for tests: opens a local HTML file or a URL, returns the DOM after its scripts ran, the console
 * messages the page logged and a screenshot. Shared by every module's tests through core's test jar (the report's
 * tests, the documentation site's). Finds {@code chromium}, {@code chromium-browser} or {@code google-chrome} on the
 * PATH (or the binary named by the system property {@code sparknorm.chromium} or the variable {@code CHROMIUM}); when
 * none is there it fails saying what to install. Tests install no software: {@code .ci/run} installs Chromium.
 *
 * <p>What Chromium (150 and 156, Debian 12) prints to stderr with {@code --enable-logging=stderr --v=0}, one message per
 * console call or uncaught exception, all at level INFO whatever the console method:
 * <pre>
 * [22730:22730:1126/232622.216225:INFO:CONSOLE:4] "an error 42", source: file:///tmp/bad.html (4)
 * [22730:22730:1126/232622.221730:INFO:CONSOLE:6] "Uncaught TypeError: Cannot read properties of null (reading
 *   'foo')", source: file:///tmp/bad.html (6)
 * [22966:22966:1126/232636.547891:INFO:CONSOLE:1] "Loading the image 'http://127.0.0.1:9/x.png' violates the
 *   following Content Security Policy directive: "img-src data:". The action has been blocked.", source: ... (1)
 * </pre>
 * (each on one line; a message with line breaks continues on the next lines).
 * console.log, console.warn, console.error and console.debug look alike (INFO), so a page that must be clean is
 * checked with {@code console().isEmpty()}; {@link Result#errors()} picks what is certainly an error: uncaught
 * exceptions and rejections ("Uncaught ..."), blocked or failed loads, and anything logged at WARNING or ERROR.
 */
public final class Chromium {
  private static final List<String> NAMES = List.of("chromium", "chromium-browser", "google-chrome");
  static final String MISSING = "headless Chromium is needed for this test and none was found (looked for " + NAMES
      + " on the PATH, -Dsparknorm.chromium, $CHROMIUM): install it, as root on Debian or Ubuntu:"
      + " apt-get install -y chromium";
  private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
  private static Chromium instance;
  private static IllegalStateException failure;

  private final Path binary;
  private final String version;

  private Chromium(Path binary, String version) {
    this.binary = binary;
    this.version = version;
  }

  private static final Pattern CONSOLE_START =
      Pattern.compile("^\\[[^\\]]*:(\\w+):CONSOLE(?::(\\d+)|\\((\\d+)\\))\\] \"(.*)$", Pattern.DOTALL);
  private static final Pattern CONSOLE_END = Pattern.compile("^(.*)\", source: (.*) \\((\\d+)\\)$", Pattern.DOTALL);

  /** One console message: the log level Chromium gave it, the page's line, the text and the script's URL. */
  public record ConsoleMessage(String level, int line, String text, String source) {
    /** Certainly an error: an uncaught exception or rejection, a blocked or failed load, or WARNING/ERROR level. */
    public boolean isError() {
      return text.startsWith("Uncaught") || text.contains("Content Security Policy") || text.contains("net::ERR_")
          || text.startsWith("Failed to load resource") || level.equals("ERROR") || level.equals("WARNING");
    }

    @Override
    public String toString() {
      return level + " " + source + ":" + line + " " + text;
    }
  }

  /** What one page load produced: the DOM after the scripts ran, the console, stderr and the time it took. */
  public record Result(int exitCode, String dom, Path screenshot, List<ConsoleMessage> console, String stderr,
      Duration elapsed) {
    /** The console messages that are certainly errors (see {@link ConsoleMessage#isError()}). */
    public List<ConsoleMessage> errors() {
      return console.stream().filter(ConsoleMessage::isError).toList();
    }

    /** The console, one message a line, for an assertion message. */
    public String consoleText() {
      return console.stream().map(ConsoleMessage::toString).collect(Collectors.joining("\n"));
    }
  }

  /** The browser found on the PATH; never null. Fails, saying what to install, when there is none. */
  public static synchronized Chromium get() {
    if (failure != null) {
      throw failure;
    }
    if (instance == null) {
      try {
        instance = find(explicitBinaries(), searchPath());
      } catch (IllegalStateException e) {
        failure = e;
        throw e;
      }
      System.err.println("[Chromium] using " + instance.binary + ": " + instance.version);
    }
    return instance;
  }

  /**
   * The first executable of {@code explicit}, else the first of {@link #NAMES} in {@code dirs}; fails with
   * {@link #MISSING} when there is none (installing nothing).
   */
  static Chromium find(List<String> explicit, List<String> dirs) {
    Path found = locate(explicit, dirs);
    if (found == null) {
      throw new IllegalStateException(MISSING);
    }
    String version = run(List.of(found.toString(), "--version"), Duration.ofSeconds(30)).lines()
        .filter(l -> l.matches(".*\\d+\\.\\d+\\.\\d+.*") && !l.contains(": ")).findFirst().orElse("unknown")
        .trim();
    return new Chromium(found, version);
  }

  public Path binary() {
    return binary;
  }

  /** E.g. "Chromium 156.0.8078.108 built on Debian GNU/Linux 12 (bookworm)". */
  public String version() {
    return version;
  }

  /** Opens {@code html} (with the URL fragment {@code fragment} unless null) and takes a screenshot into the file. */
  public Result open(Path html, String fragment, Path screenshot) {
    return open(html, fragment, screenshot, 1400, 2000, DEFAULT_TIMEOUT);
  }

  public Result open(Path html, String fragment, Path screenshot, int width, int height, Duration timeout) {
    return open(html.toAbsolutePath().toUri().toString() + (fragment == null ? "" : "#" + fragment), screenshot, width,
        height, timeout);
  }

  /** Opens a URL (a page a test serves on the loopback address, say) and takes a screenshot unless null. */
  public Result open(String url, Path screenshot) {
    return open(url, screenshot, 1400, 2000, DEFAULT_TIMEOUT);
  }

  public Result open(String url, Path screenshot, int width, int height, Duration timeout) {
    Path profile = null;
    try {
      profile = Files.createTempDirectory("sparknorm-chromium-");
      List<String> command = new ArrayList<>(List.of(binary.toString(), "--headless=new", "--no-sandbox",
          "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
          "--disable-extensions", "--disable-crash-reporter", "--disable-breakpad",
          "--disable-background-networking", "--disable-component-update", "--disable-sync",
          // No test reads from the network: any host but this machine's resolves to nothing, at once (a page that
          // loads from elsewhere logs net::ERR_NAME_NOT_RESOLVED instead of waiting for a network that may be away).
          "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
          "--hide-scrollbars", "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0",
          "--window-size=" + width + "," + height, "--virtual-time-budget=10000", "--dump-dom"));
      if (screenshot != null) {
        Files.createDirectories(screenshot.toAbsolutePath().getParent());
        Files.deleteIfExists(screenshot);
        command.add("--screenshot=" + screenshot.toAbsolutePath());
      }
      command.add(url);
      long start = System.nanoTime();
      Process process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(nullFile())).start();
      CompletableFuture<String> out = drain(process.getInputStream());
      CompletableFuture<String> err = drain(process.getErrorStream());
      boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
      tree.forEach(ProcessHandle::destroyForcibly);
      if (!finished) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
        throw new IllegalStateException("chromium did not finish within " + timeout + " on " + url
            + "; killed it (pid " + process.pid() + ") and its children\nstderr:\n" + tail(err.getNow("")));
      }
      Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
      String stderr = err.get(10, TimeUnit.SECONDS);
      return new Result(process.exitValue(), out.get(10, TimeUnit.SECONDS), screenshot, parseConsole(stderr), stderr,
          elapsed);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (Exception e) {
      throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
    } finally {
      deleteTree(profile);
    }
  }

  /** The console messages in Chromium's stderr; a message with line breaks spans several lines. */
  static List<ConsoleMessage> parseConsole(String stderr) {
    List<ConsoleMessage> messages = new ArrayList<>();
    String[] lines = stderr.split("\n");
    for (int i = 0; i < lines.length; i++) {
      Matcher start = CONSOLE_START.matcher(lines[i]);
      if (!start.matches()) {
        continue;
      }
      StringBuilder text = new StringBuilder(start.group(4));
      int j = i;
      Matcher end = CONSOLE_END.matcher(text);
      while (!end.matches() && j + 1 < lines.length && j - i < 500) {
        text.append('\n').append(lines[++j]);
        end = CONSOLE_END.matcher(text);
      }
      String level = start.group(1);
      if (end.matches()) {
        messages.add(new ConsoleMessage(level, Integer.parseInt(end.group(3)), end.group(1), end.group(2)));
        i = j;
      } else {
        int line = Integer.parseInt(start.group(2) != null ? start.group(2) : start.group(3));
        messages.add(new ConsoleMessage(level, line, start.group(4), ""));
      }
    }
    return List.copyOf(messages);
  }

  private static List<String> explicitBinaries() {
    List<String> explicit = new ArrayList<>();
    if (System.getProperty("sparknorm.chromium") != null) {
      explicit.add(System.getProperty("sparknorm.chromium"));
    }
    if (System.getenv("CHROMIUM") != null) {
      explicit.add(System.getenv("CHROMIUM"));
    }
    return explicit;
  }

  /** The PATH's folders, then /usr/bin and /usr/local/bin (a test JVM's PATH may lack them). */
  private static List<String> searchPath() {
    String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
    return List.of((path + ":/usr/bin:/usr/local/bin").split(":"));
  }

  private static Path locate(List<String> explicit, List<String> dirs) {
    for (String name : explicit) {
      Path p = Path.of(name);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    for (String name : NAMES) {
      for (String dir : dirs) {
        Path p = Path.of(dir.isEmpty() ? "." : dir, name);
        if (Files.isRegularFile(p) && Files.isExecutable(p)) {
          return p;
        }
      }
    }
    return null;
  }

  /** Runs a command with its output merged, bounded in time; throws with the output when it fails. */
  private static String run(List<String> command, Duration limit) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectInput(ProcessBuilder.Redirect.from(nullFile())).start();
      CompletableFuture<String> out = drain(process.getInputStream());
      if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        throw new IllegalStateException(command + " did not finish within " + limit);
      }
      String text = out.get(10, TimeUnit.SECONDS);
      if (process.exitValue() != 0) {
        throw new IllegalStateException(command + " exited with " + process.exitValue() + ":\n" + tail(text));
      }
      return text;
    } catch (IOException e) {
      throw new IllegalStateException(command + " could not be started: " + e.getMessage(), e);
    } catch (Exception e) {
      throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
    }
  }

  private static java.io.File nullFile() {
    return new java.io.File("/dev/null");
  }

  private static CompletableFuture<String> drain(InputStream in) {
    CompletableFuture<String> text = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (in) {
        text.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        text.complete("");
      }
    }, "chromium-output");
    reader.setDaemon(true);
    reader.start();
    return text;
  }

  private static String tail(String text) {
    return text.length() <= 4000 ? text : "..." + text.substring(text.length() - 4000);
  }

  private static void deleteTree(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // a leftover temporary profile is harmless
    }
  }
}
