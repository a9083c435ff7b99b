package io.sparknorm.docs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Where the documentation site lives (the repository's root, found from any module), and Markdown text helpers. */
final class DocsFiles {
  private DocsFiles() {}

  /** The repository's root: the first folder upwards from the working directory that holds {@code mkdocs.yml}. */
  static Path root() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("mkdocs.yml")) && Files.isDirectory(dir.resolve("docs"))) {
        return dir;
      }
    }
    throw new IllegalStateException("no mkdocs.yml in " + Path.of("").toAbsolutePath() + " or a folder above it");
  }

  /** The site's Markdown sources. */
  static Path docs() {
    return root().resolve("docs");
  }

  private static final Pattern SPECIAL = Pattern.compile("[\\\\`*\\[\\]|]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])");

  /**
   * Plain text made safe for a Markdown paragraph or table cell: what Markdown would read as emphasis, code, a link or a
   * cell's end is escaped; {@code <}, {@code >} and {@code &} become entities, so no text turns into HTML.
   */
  static String text(String plain) {
    String html = plain.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    Matcher m = SPECIAL.matcher(html);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement("\\" + m.group()));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** Inline code (Markdown's tables do not split a cell at a bar inside code). */
  static String code(String plain) {
    String fence = plain.contains("`") ? "`` " : "`";
    return fence + plain + new StringBuilder(fence).reverse();
  }
}
