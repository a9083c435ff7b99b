package io.sparknorm.docs;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalog.Function;

/**
 * The page {@code docs/reference/sql-functions.md}, generated from the functions a session with sparknorm's extension
 * has: every function whose class is sparknorm's, as {@code DESCRIBE FUNCTION EXTENDED} shows it (usage, arguments,
 * examples). Only public Spark API: the catalog lists the functions, SQL describes them.
 */
final class SqlFunctionsPage {
  static final String PATH = "reference/sql-functions.md";

  private SqlFunctionsPage() {}

  /** One function as DESCRIBE FUNCTION EXTENDED shows it. */
  record Described(String name, String className, String usage, String extended) {
    /** The signature, before the usage's first " - ". */
    String signature() {
      int dash = usage.indexOf(" - ");
      return dash < 0 ? usage : usage.substring(0, dash);
    }

    String summary() {
      int dash = usage.indexOf(" - ");
      return dash < 0 ? "" : usage.substring(dash + 3).strip();
    }
  }

  /** sparknorm's functions in this session, by name. */
  static List<Described> describe(SparkSession spark) {
    List<Described> all = new ArrayList<>();
    for (Function function : spark.catalog().listFunctions().collectAsList()) {
      if (function.className() != null && function.className().startsWith("io.sparknorm.")) {
        all.add(describe(spark, function.name()));
      }
    }
    all.sort(Comparator.comparing(Described::name));
    return all;
  }

  private static Described describe(SparkSession spark, String name) {
    String name0 = null;
    String className = null;
    String usage = null;
    String extended = null;
    for (String row : spark.sql("DESCRIBE FUNCTION EXTENDED " + name).as(Encoders.STRING()).collectAsList()) {
      if (row.startsWith("Function: ")) {
        name0 = row.substring("Function: ".length()).strip();
      } else if (row.startsWith("Class: ")) {
        className = row.substring("Class: ".length()).strip();
      } else if (row.startsWith("Usage: ")) {
        usage = row.substring("Usage: ".length()).strip();
      } else if (row.startsWith("Extended Usage:")) {
        extended = row.substring("Extended Usage:".length());
      }
    }
    if (name0 == null || usage == null || extended == null) {
      throw new IllegalStateException("DESCRIBE FUNCTION EXTENDED " + name + " lacks Function, Usage or Extended Usage");
    }
    return new Described(name0, className, usage, extended);
  }

  private static final Pattern SECTION = Pattern.compile("^ {4}(Arguments|Examples|Note|Since|Deprecated):\\s*(.*)$");
  private static final Pattern ARGUMENT = Pattern.compile("^ {6}\\* (.+?) - (.*)$");

  static String generate(List<Described> functions) {
    StringBuilder page = new StringBuilder();
    page.append("# SQL function reference\n\n")
        .append(ReferencePagesTest.generatedNote("the functions a session with the extension has registered")).append('\n')
        .append("Every SQL function that `spark.sql.extensions=io.sparknorm.sql.SparknormExtensions` registers, as")
        .append(" `DESCRIBE FUNCTION EXTENDED name` shows it in such a session; `SHOW FUNCTIONS LIKE '*norm*'` lists")
        .append(" them. [SQL functions](../sql.md) explains how to use them.\n\n")
        .append("| function | what |\n| --- | --- |\n");
    for (Described f : functions) {
      page.append("| [").append(DocsFiles.code(f.name())).append("](#").append(f.name()).append(") | ")
          .append(DocsFiles.text(firstSentence(f.summary()))).append(" |\n");
    }
    for (Described f : functions) {
      page.append("\n## ").append(f.name()).append("\n\n")
          .append("```sql\n").append(f.signature()).append("\n```\n\n")
          .append(DocsFiles.text(f.summary())).append("\n");
      appendExtended(page, f.extended());
      page.append("\nClass: ").append(DocsFiles.code(f.className())).append(".\n");
    }
    return page.toString();
  }

  /** The extended usage's sections: arguments as a list and paragraphs, examples as a code block, since as a line. */
  private static void appendExtended(StringBuilder page, String extended) {
    String section = null;
    List<String> example = new ArrayList<>();
    StringBuilder paragraph = new StringBuilder();
    for (String line : extended.split("\n", -1)) {
      Matcher start = SECTION.matcher(line);
      if (start.matches()) {
        flush(page, paragraph);
        flushExample(page, example);
        section = start.group(1);
        if (section.equals("Since")) {
          page.append("\nSince ").append(DocsFiles.text(start.group(2).strip())).append(".\n");
        } else if (section.equals("Arguments") || section.equals("Examples")) {
          page.append("\n**").append(section).append("**\n\n");
        } else {
          page.append("\n**").append(section).append("** ").append(DocsFiles.text(start.group(2).strip())).append('\n');
        }
        continue;
      }
      if ("Examples".equals(section)) {
        if (!line.isBlank()) {
          example.add(line.startsWith("      ") ? line.substring(6) : line.strip());
        }
        continue;
      }
      Matcher argument = ARGUMENT.matcher(line);
      if (argument.matches()) {
        flush(page, paragraph);
        List<String> names = List.of(argument.group(1).split(",\\s*"));
        page.append("- ").append(String.join(", ", names.stream().map(DocsFiles::code).toList())).append(": ")
            .append(DocsFiles.text(argument.group(2).strip())).append('\n');
      } else if (line.isBlank()) {
        flush(page, paragraph);
      } else {
        paragraph.append(paragraph.length() == 0 ? "" : " ").append(line.strip());
      }
    }
    flush(page, paragraph);
    flushExample(page, example);
  }

  private static void flush(StringBuilder page, StringBuilder paragraph) {
    if (paragraph.length() > 0) {
      page.append('\n').append(DocsFiles.text(paragraph.toString())).append('\n');
      paragraph.setLength(0);
    }
  }

  private static void flushExample(StringBuilder page, List<String> example) {
    if (!example.isEmpty()) {
      page.append("```sql\n").append(String.join("\n", example)).append("\n```\n");
      example.clear();
    }
  }

  private static String firstSentence(String text) {
    int end = text.indexOf(". ");
    return end < 0 ? text : text.substring(0, end + 1);
  }
}
