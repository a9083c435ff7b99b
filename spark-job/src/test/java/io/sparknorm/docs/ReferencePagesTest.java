package io.sparknorm.docs;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The generated reference pages of the site are what the code generates now: the job's options from its picocli
 * model, the SQL functions from a session with the extension. A page that differs fails with the one command that
 * rewrites them ({@link #REWRITE}); with {@code -Dsparknorm.docs.write=true} this test writes them instead.
 */
class ReferencePagesTest {
  static final String REWRITE = "mvn -B -pl spark-job -am test -Dtest=ReferencePagesTest"
      + " -Dsurefire.failIfNoSpecifiedTests=false -Dsparknorm.docs.write=true";

  private static SparkSession spark;

  /** The note at the top of a generated page: where it comes from and how to rewrite it. */
  static String generatedNote(String source) {
    return "<!-- Generated from " + source + " by spark-job's io.sparknorm.docs.ReferencePagesTest; do not edit."
        + " Rewrite with: " + REWRITE + " -->\n";
  }

  @BeforeAll
  static void start() {
    spark = SparkSession.builder().master("local[1]").appName("sparknorm-docs")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.extensions", "io.sparknorm.sql.SparknormExtensions").getOrCreate();
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  @Test
  void jobOptionsPageIsWhatThePicocliModelGenerates() throws IOException {
    String page = JobOptionsPage.generate();
    for (String option : List.of("--input", "--output", "--method", "--shape", "--groups", "--eps", "--affine",
        "--stats-out", "--stats-in", "--handle-invalid", "--id-col", "--overwrite", "--by", "--unseen-key",
        "--batch-size", "--order-by", "--momentum", "--stats-only", "--report", "--quiet")) {
      assertTrue(page.contains("| `" + option + "` |"), option + " on the page:\n" + page);
    }
    assertTrue(page.contains("| `--eps` | `E` | `1e-5` |"), page);
    assertTrue(!page.contains("${DEFAULT-VALUE}"), page);
    check(JobOptionsPage.PATH, page);
  }

  @Test
  void sqlFunctionsPageIsWhatTheRegisteredFunctionsDescribe() throws IOException {
    List<SqlFunctionsPage.Described> functions = SqlFunctionsPage.describe(spark);
    List<String> names = functions.stream().map(SqlFunctionsPage.Described::name).toList();
    for (String name : List.of("layer_norm", "instance_norm", "group_norm", "batch_norm", "try_layer_norm",
        "try_instance_norm", "try_group_norm", "try_batch_norm", "batch_norm_stats")) {
      assertTrue(names.contains(name), name + " among " + names);
    }
    String page = SqlFunctionsPage.generate(functions);
    for (String name : names) {
      assertTrue(page.contains("\n## " + name + "\n"), name + " has a section");
    }
    Matcher named = Pattern.compile("\\btry_\\w+").matcher(page);
    while (named.find()) {
      assertTrue(names.contains(named.group()), "the page names " + named.group() + ", which is not registered");
    }
    assertTrue(page.contains("```sql\n> SELECT layer_norm(array(1F, 2F, 3F), '3');\n [-1.2247357, 0.0, 1.2247357]\n"),
        "an example with its output:\n" + page);
    check(SqlFunctionsPage.PATH, page);
  }

  /** The committed page equals the generated one; with -Dsparknorm.docs.write=true it is rewritten. */
  private static void check(String relative, String generated) throws IOException {
    Path file = DocsFiles.docs().resolve(relative);
    if (Boolean.getBoolean("sparknorm.docs.write")) {
      Files.createDirectories(file.getParent());
      Files.writeString(file, generated, StandardCharsets.UTF_8);
      System.out.println("[docs] wrote " + file);
      return;
    }
    if (!Files.exists(file)) {
      fail("docs/" + relative + " is missing; generate it with: " + REWRITE);
    }
    String committed = Files.readString(file, StandardCharsets.UTF_8);
    if (!committed.equals(generated)) {
      fail("docs/" + relative + " differs from what the code generates (" + firstDifference(committed, generated)
          + "); rewrite the generated pages with: " + REWRITE);
    }
  }

  /** The first line where the two texts differ, both ways, for the failure message. */
  static String firstDifference(String committed, String generated) {
    List<String> a = committed.lines().toList();
    List<String> b = generated.lines().toList();
    int i = 0;
    while (i < a.size() && i < b.size() && a.get(i).equals(b.get(i))) {
      i++;
    }
    return "line " + (i + 1) + ": committed '" + (i < a.size() ? a.get(i) : "<end>") + "', generated '"
        + (i < b.size() ? b.get(i) : "<end>") + "'";
  }
}
