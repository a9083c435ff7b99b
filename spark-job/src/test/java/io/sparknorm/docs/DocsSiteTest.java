package io.sparknorm.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.sparknorm.testing.Chromium;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The documentation site as a reader gets it: {@code mkdocs build --strict} (a broken page link, a page missing from
 * the navigation, a bad configuration fail it), then every built page served on the loopback address and opened in
 * headless Chromium: it renders, its console stays empty, no file it loads is missing or off the site, and every link
 * into the site reaches a file, and an element of that id when the link names an anchor. Installs nothing: without
 * mkdocs or Chromium it fails saying what to install.
 */
class DocsSiteTest {
  private static final String INSTALL = "apt-get install -y mkdocs mkdocs-material";
  private static final Pattern LINK = Pattern.compile("<a\\b[^>]*?\\shref=\"([^\"]*)\"");
  private static final Pattern LOADED = Pattern.compile(
      "<(?:script|img|link|iframe|source)\\b[^>]*?\\s(?:src|href)=\"([^\"]*)\"");
  private static final Pattern ID = Pattern.compile("\\sid=\"([^\"]*)\"");

  @Test
  void siteBuildsStrictAndEveryPageRendersCleanWithEveryInternalLinkResolved() throws Exception {
    Path site = Path.of("target", "docs-site").toAbsolutePath();
    String log = build(site);
    assertTrue(!log.contains("not included in the \"nav\""), "every page is in mkdocs.yml's nav:\n" + log);

    Map<String, String> doms = new TreeMap<>();
    List<String> pages;
    try (Stream<Path> files = Files.walk(site)) {
      pages = files.filter(p -> p.toString().endsWith(".html")).map(p -> site.relativize(p).toString().replace('\\', '/'))
          .sorted().toList();
    }
    for (String name : List.of("index.html", "getting-started.html", "job.html", "sql.html", "dataframe.html",
        "ml.html", "notebooks.html", "statistics.html", "report.html", "reliability.html", "performance.html",
        "architecture.html", "reference/job-options.html", "reference/sql-functions.html")) {
      assertTrue(pages.contains(name), name + " among the built pages " + pages);
    }
    List<String> problems = new ArrayList<>();
    for (String page : pages) {
      offSiteLoads(page, Files.readString(site.resolve(page), StandardCharsets.UTF_8), problems);
    }
    if (!problems.isEmpty()) {
      fail("the built pages load files from off the site (theme.font: false keeps Google's fonts out):\n"
          + String.join("\n", problems));
    }
    Chromium chromium = Chromium.get();
    try (SiteServer server = new SiteServer(site)) {
      for (String page : pages) {
        Path shot = page.equals("index.html") ? Path.of("target", "docs-screenshots", "index.png") : null;
        Chromium.Result result = chromium.open(server.url(page), shot);
        String dom = result.dom();
        doms.put(page, dom);
        if (result.exitCode() != 0) {
          problems.add(page + ": chromium exited with " + result.exitCode());
        }
        if (!result.console().isEmpty()) {
          problems.add(page + ": console:\n" + result.consoleText());
        }
        if (!dom.contains("<article") || !dom.contains("<h1")) {
          problems.add(page + ": no article with a heading in the rendered page");
        }
        offSiteLoads(page, dom, problems);
      }
      assertEquals(List.of(), server.missing(), "files the pages asked for that the site does not have");
    }
    int links = 0;
    int anchors = 0;
    for (Map.Entry<String, String> page : doms.entrySet()) {
      Matcher link = LINK.matcher(page.getValue());
      while (link.find()) {
        String href = unescape(link.group(1));
        String problem = brokenLink(site, page.getKey(), href, doms);
        links++;
        anchors += href.contains("#") ? 1 : 0;
        if (problem != null) {
          problems.add(page.getKey() + ": " + problem);
        }
      }
    }
    System.out.println("[docs] " + pages.size() + " pages opened in " + chromium.version() + "; " + links
        + " links checked, " + anchors + " of them to an anchor");
    assertTrue(links > 20 * pages.size() && anchors > 10 * pages.size(), "links found: " + links + ", " + anchors);
    if (!problems.isEmpty()) {
      fail(problems.size() + " problems on the site:\n" + String.join("\n", problems));
    }
  }

  /** Adds a problem for each script, style sheet, image or frame that {@code html} loads from another host. */
  private static void offSiteLoads(String page, String html, List<String> problems) {
    Matcher loaded = LOADED.matcher(html);
    while (loaded.find()) {
      String target = unescape(loaded.group(1));
      if (target.matches("(?i)^(https?:)?//.*")) {
        problems.add(page + ": loads " + target + " from off the site");
      }
    }
  }

  /** Why a link of {@code page} into the site leads nowhere, or null when it reaches its file (and anchor). */
  static String brokenLink(Path site, String page, String href, Map<String, String> doms) throws IOException {
    if (href.isEmpty() || href.matches("(?i)^(https?|mailto):.*")) {
      return null;
    }
    URI base = URI.create("http://site/" + page);
    URI target = base.resolve(URI.create(href));
    if (!"site".equals(target.getHost())) {
      return "link " + href + " leaves the site";
    }
    String path = target.getPath().substring(1);
    if (path.isEmpty() || path.endsWith("/")) {
      path = path + "index.html";
    }
    Path file = site.resolve(path).normalize();
    if (!file.startsWith(site) || !Files.isRegularFile(file)) {
      return "link " + href + " leads to " + path + ", which the site does not have";
    }
    String fragment = target.getFragment();
    if (fragment == null || fragment.isEmpty()) {
      return null;
    }
    String dom = doms.containsKey(path) ? doms.get(path) : Files.readString(file, StandardCharsets.UTF_8);
    Matcher id = ID.matcher(dom);
    while (id.find()) {
      if (unescape(id.group(1)).equals(fragment)) {
        return null;
      }
    }
    return "link " + href + ": " + path + " has no element with id '" + fragment + "'";
  }

  private static String unescape(String attribute) {
    return attribute.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
  }

  /** Runs mkdocs build --strict into {@code site}; returns its output, or fails saying what went wrong. */
  private static String build(Path site) throws Exception {
    Path root = DocsFiles.root();
    List<String> command = List.of("mkdocs", "build", "--strict", "--clean", "-f",
        root.resolve("mkdocs.yml").toString(), "-d", site.toString());
    Path logFile = site.resolveSibling("docs-site.log");
    Files.createDirectories(logFile.getParent());
    Process process;
    try {
      process = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true)
          .redirectOutput(logFile.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .start();
    } catch (IOException e) {
      return fail("mkdocs is needed to build the documentation site and could not be started (" + e.getMessage()
          + "): install it, as root on Debian or Ubuntu: " + INSTALL);
    }
    if (!process.waitFor(Duration.ofMinutes(3).toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      return fail(String.join(" ", command) + " did not finish within 3 minutes");
    }
    String log = Files.readString(logFile, StandardCharsets.UTF_8);
    if (process.exitValue() != 0) {
      String hint = log.contains("Unrecognised theme name") ? "the material theme is missing: " + INSTALL
          : "a warning fails a strict build: fix what it names";
      fail(String.join(" ", command) + " exited with " + process.exitValue() + " (" + hint + "):\n" + log);
    }
    return log;
  }
}
