package io.sparknorm.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The code the README and the SQL page show runs as shown: each Java block of the README is compiled and run in a
 * session with the extension (as the README says: {@code spark} such a session, sparknorm's column functions and
 * Spark's {@code col} imported statically, the ML stages imported), and each statement of the SQL page's SQL blocks
 * runs over the digits. Paths such as {@code data/digits.jsonl} are the repository's, as from its root.
 */
class DocsExamplesTest {
  private static final Pattern BLOCK = Pattern.compile("```(java|sql)\\n(.*?)```", Pattern.DOTALL);
  private static final String IMPORTS = "import static io.sparknorm.sql.functions.*;\n"
      + "import static org.apache.spark.sql.functions.col;\n"
      + "import io.sparknorm.ml.*;\n"
      + "import org.apache.spark.sql.Dataset;\n"
      + "import org.apache.spark.sql.Row;\n"
      + "import org.apache.spark.sql.SparkSession;\n";

  private static SparkSession spark;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() {
    spark = SparkSession.builder().master("local[1]").appName("sparknorm-docs-examples")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.extensions", "io.sparknorm.sql.SparknormExtensions").getOrCreate();
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  @Test
  void everyJavaBlockOfTheReadmeCompilesAndRuns() throws Exception {
    List<String> blocks = blocks(DocsFiles.root().resolve("README.md"), "java");
    assertEquals(2, blocks.size(), "the README's Java examples: the DataFrame API and Spark ML");
    for (int i = 0; i < blocks.size(); i++) {
      run("ReadmeExample" + i, blocks.get(i));
    }
  }

  @Test
  void theCovariateShiftPagesAdaBnExampleCompilesAndRuns() throws Exception {
    List<String> blocks = blocks(DocsFiles.docs().resolve("covariate-shift.md"), "java");
    assertEquals(1, blocks.size(), "the covariate shift page's Java example: AdaBN per domain");
    java.io.PrintStream stdout = System.out;
    java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
    System.setOut(new java.io.PrintStream(printed, true, StandardCharsets.UTF_8));
    try {
      run("CovariateShiftExample", blocks.get(0));
    } finally {
      System.setOut(stdout);
    }
    // What the page says the example prints.
    String text = printed.toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("channels shifted in domain b: 55\n"), text);
    assertTrue(text.contains("domain [a] against its own profile: 0 shifted\n"), text);
    assertTrue(text.contains("domain [b] against its own profile: 0 shifted\n"), text);
  }

  @Test
  void everySqlStatementOfTheSqlPageRunsOverTheDigits() throws Exception {
    spark.read().schema("id BIGINT, label INT, features ARRAY<DOUBLE>")
        .json(DocsFiles.root().resolve("data/digits.jsonl").toString()).createOrReplaceTempView("digits");
    int statements = 0;
    for (String block : blocks(DocsFiles.docs().resolve("sql.md"), "sql")) {
      for (String statement : block.split(";\\s*\\n")) {
        if (!statement.isBlank()) {
          assertTrue(spark.sql(statement).collectAsList().size() > 0, "rows from " + statement);
          statements++;
        }
      }
    }
    assertEquals(2, statements, "the SQL page's statements");
  }

  private static List<String> blocks(Path markdown, String language) throws IOException {
    Matcher m = BLOCK.matcher(Files.readString(markdown, StandardCharsets.UTF_8));
    List<String> blocks = new ArrayList<>();
    while (m.find()) {
      if (m.group(1).equals(language)) {
        blocks.add(m.group(2));
      }
    }
    return blocks;
  }

  /** Compiles the block as the body of {@code run(SparkSession spark)} and runs it. */
  private void run(String name, String block) throws Exception {
    String body = block.replace("\"data/", "\"" + DocsFiles.root().resolve("data") + "/");
    String source = IMPORTS + "public class " + name + " {\n  public static void run(SparkSession spark) {\n" + body
        + "  }\n}\n";
    Path src = Files.writeString(dir.resolve(name + ".java"), source);
    Path classes = Files.createDirectories(dir.resolve("classes"));
    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    try (StandardJavaFileManager files = compiler.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8)) {
      boolean compiled = compiler.getTask(null, files, diagnostics,
          List.of("-classpath", System.getProperty("java.class.path"), "-d", classes.toString(), "-proc:none"), null,
          files.getJavaFileObjects(src)).call();
      if (!compiled) {
        fail(name + " does not compile:\n" + diagnostics.getDiagnostics().stream().map(Object::toString)
            .collect(Collectors.joining("\n")) + "\n" + source);
      }
    }
    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()},
        getClass().getClassLoader())) {
      loader.loadClass(name).getMethod("run", SparkSession.class).invoke(null, spark);
    } catch (InvocationTargetException e) {
      throw new AssertionError(name + " failed:\n" + source, e.getCause());
    }
  }
}
