package io.sparknorm.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A {@code local-runner/spark-submit} command as the README shows it, split into its words as a POSIX shell would:
 * the tests run what a user pastes, not a copy of it that could drift. Commands are the README's indented code lines
 * (a line ending in a backslash goes on with the next), run from the repository's root.
 */
record ReadmeCommand(List<String> words) {

  static final String SCRIPT = "local-runner/spark-submit";

  /** The repository's root: the parent of local-runner, which is the tests' working directory. */
  static Path root() {
    return Path.of("..").toAbsolutePath().normalize();
  }

  /** The one README command holding every one of {@code fragments}; fails unless there is exactly one. */
  static ReadmeCommand find(String... fragments) {
    List<ReadmeCommand> found = new ArrayList<>();
    for (String command : commands(root().resolve("README.md"))) {
      if (Arrays.stream(fragments).allMatch(command::contains)) {
        found.add(new ReadmeCommand(words(command)));
      }
    }
    assertEquals(1, found.size(), "README commands holding " + Arrays.toString(fragments) + ": " + found);
    return found.get(0);
  }

  /** The indented code lines that start with the script, continuation lines joined. */
  static List<String> commands(Path readme) {
    List<String> lines;
    try {
      lines = Files.readAllLines(readme, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> commands = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith("    " + SCRIPT + " ")) {
        StringBuilder command = new StringBuilder(lines.get(i).strip());
        while (command.charAt(command.length() - 1) == '\\' && i + 1 < lines.size()) {
          command.setLength(command.length() - 1);
          command.append(' ').append(lines.get(++i).strip());
        }
        commands.add(command.toString());
      }
    }
    return commands;
  }

  /** A command line's words: single quotes keep everything, double quotes and backslashes as in a shell. */
  static List<String> words(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder word = null;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == ' ' || c == '\t') {
        if (word != null) {
          words.add(word.toString());
          word = null;
        }
        continue;
      }
      word = word == null ? new StringBuilder() : word;
      if (c == '\'') {
        int end = line.indexOf('\'', i + 1);
        word.append(line, i + 1, end);
        i = end;
      } else if (c == '"') {
        for (i++; line.charAt(i) != '"'; i++) {
          if (line.charAt(i) == '\\' && "\"\\$`".indexOf(line.charAt(i + 1)) >= 0) {
            i++;
          }
          word.append(line.charAt(i));
        }
      } else if (c == '\\') {
        word.append(line.charAt(++i));
      } else {
        word.append(c);
      }
    }
    if (word != null) {
      words.add(word.toString());
    }
    return words;
  }

  /** The arguments for the script: every word after it. */
  List<String> arguments() {
    assertEquals(SCRIPT, words.get(0), "the command's program");
    return words.subList(1, words.size());
  }

  /** The words after {@code word} (e.g. the job's arguments after its jar). */
  List<String> after(String word) {
    int at = words.indexOf(word);
    assertTrue(at >= 0, word + " in " + words);
    return words.subList(at + 1, words.size());
  }

  /** The same command with the value of {@code option} (which must appear once) replaced. */
  ReadmeCommand with(String option, String value) {
    assertEquals(1, words.stream().filter(option::equals).count(), option + " once in " + words);
    List<String> copy = new ArrayList<>(words);
    copy.set(copy.indexOf(option) + 1, value);
    return new ReadmeCommand(List.copyOf(copy));
  }

  /** The same command with {@code text} replaced by {@code by} in every word; fails unless some word holds it. */
  ReadmeCommand replace(String text, String by) {
    assertTrue(words.stream().anyMatch(w -> w.contains(text)), text + " in " + words);
    return new ReadmeCommand(words.stream().map(w -> w.replace(text, by)).toList());
  }

  /** The value that follows {@code option}. */
  String value(String option) {
    return words.get(words.indexOf(option) + 1);
  }
}
