package io.sparknorm.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README and the site's pages as text: the README stays short, no page carries history (issue numbers, dates,
 * commit ids: history lives in benchmarks/PERFORMANCE-LOG.md), and every class of this project a page names in code
 * exists, so that a rename shows up here rather than in a reader's search.
 */
class DocsTextTest {
  private static final Pattern ISSUE = Pattern.compile("(?i)\\bissues?\\s*#?\\d+|(?<![\\w&])#\\d+\\b");
  private static final Pattern DATE = Pattern.compile("\\b(19|20)\\d\\d-\\d\\d-\\d\\d\\b");
  private static final Pattern COMMIT = Pattern.compile("\\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{7,40}\\b");
  private static final Pattern CODE = Pattern.compile("`([^`\\n]+)`");
  private static final Pattern CLASS_NAME =
      Pattern.compile("^(?:[a-z]+(?:\\.[a-z]+)*\\.)?([A-Z][a-z0-9]+[A-Z][A-Za-z0-9]*)(?:[.(#\\s].*)?$");
  /** Classes of Spark and the JDK that the pages name. */
  private static final Set<String> OTHERS = Set.of("AssertionError", "CrossValidator", "ParamGridBuilder",
      "PipelineModel", "SparkSession", "StandardScaler", "VectorAssembler", "LogisticRegression", "PipelineStage");

  @Test
  void readmeHasAtMost200Lines() throws IOException {
    long lines = Files.readAllLines(DocsFiles.root().resolve("README.md")).size();
    assertTrue(lines <= 200, "README.md has " + lines + " lines; the site in docs/ holds the rest");
  }

  @Test
  void noPageCarriesIssueNumbersDatesOrCommitIds() throws IOException {
    List<String> found = new ArrayList<>();
    for (Path page : pages()) {
      List<String> lines = Files.readAllLines(page, StandardCharsets.UTF_8);
      for (int i = 0; i < lines.size(); i++) {
        for (Pattern history : List.of(ISSUE, DATE, COMMIT)) {
          Matcher m = history.matcher(lines.get(i));
          while (m.find()) {
            found.add(DocsFiles.root().relativize(page) + ":" + (i + 1) + ": " + m.group());
          }
        }
      }
    }
    assertEquals(List.of(), found, "history belongs in benchmarks/PERFORMANCE-LOG.md");
  }

  @Test
  void everyClassOfTheProjectThatAPageNamesExists() throws IOException {
    Set<String> sources = new TreeSet<>();
    try (Stream<Path> files = Files.walk(DocsFiles.root())) {
      files.filter(p -> p.toString().endsWith(".java") && !p.toString().contains("/target/"))
          .forEach(p -> sources.add(p.getFileName().toString().replace(".java", "")));
    }
    List<String> missing = new ArrayList<>();
    int named = 0;
    for (Path page : pages()) {
      Matcher code = CODE.matcher(Files.readString(page, StandardCharsets.UTF_8));
      while (code.find()) {
        Matcher name = CLASS_NAME.matcher(code.group(1));
        if (name.matches() && !OTHERS.contains(name.group(1))) {
          named++;
          if (!sources.contains(name.group(1))) {
            missing.add(DocsFiles.root().relativize(page) + ": " + code.group(1));
          }
        }
      }
    }
    assertTrue(named > 30, "class names found in the pages: " + named);
    assertEquals(List.of(), missing, "names in the pages with no source file of that name");
  }

  /** README.md and every Markdown page of the site. */
  private static List<Path> pages() throws IOException {
    List<Path> pages = new ArrayList<>(List.of(DocsFiles.root().resolve("README.md")));
    try (Stream<Path> files = Files.walk(DocsFiles.docs())) {
      files.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
    }
    return pages;
  }
}
