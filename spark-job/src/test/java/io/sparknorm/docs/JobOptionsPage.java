package io.sparknorm.docs;

import io.sparknorm.job.NormalizeJob;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The page {@code docs/reference/job-options.md}, generated from the job's picocli model: the same command line that
 * {@code --help} prints, so the page cannot say an option, a value or a default the job does not have.
 */
final class JobOptionsPage {
  static final String PATH = "reference/job-options.md";

  private JobOptionsPage() {}

  static String generate() {
    CommandSpec spec = new CommandLine(new NormalizeJob()).getCommandSpec();
    CommandLine.Help help = new CommandLine.Help(spec,
        new CommandLine.Help.ColorScheme.Builder(CommandLine.Help.Ansi.OFF).build());
    StringBuilder page = new StringBuilder();
    page.append("# Job options\n\n")
        .append(ReferencePagesTest.generatedNote("the job's command line (picocli)")).append('\n')
        .append(DocsFiles.text(String.join(" ", spec.usageMessage().description()))).append(" The options below are")
        .append(" what `--help` lists, in its order; [the job](../job.md) explains how they work together.\n\n")
        .append("```text\n").append(help.synopsis(0).stripTrailing()).append("\n```\n\n")
        .append("| option | value | default | meaning |\n| --- | --- | --- | --- |\n");
    for (OptionSpec option : spec.options()) {
      if (option.hidden()) {
        continue;
      }
      page.append("| ").append(String.join(", ", java.util.Arrays.stream(option.names()).map(DocsFiles::code).toList()))
          .append(" | ").append(option.arity().max() > 0 ? DocsFiles.code(option.paramLabel()) : "")
          .append(" | ").append(defaultOf(option))
          .append(" | ").append(DocsFiles.text(description(option))).append(" |\n");
    }
    return page.toString();
  }

  /** The description as {@code --help} shows it: picocli's {@code ${DEFAULT-VALUE}} replaced by the default. */
  private static String description(OptionSpec option) {
    String text = String.join(" ", option.description());
    return text.replace("${DEFAULT-VALUE}", String.valueOf(option.defaultValue()));
  }

  private static String defaultOf(OptionSpec option) {
    if (option.required()) {
      return "required";
    }
    if (option.defaultValue() != null) {
      return DocsFiles.code(option.defaultValue());
    }
    boolean flag = option.arity().max() == 0;
    return flag && !option.usageHelp() && !option.versionHelp() ? "off" : "";
  }

  /** The options' long names, for the test that holds the page to the contract's list. */
  static List<String> longNames() {
    return new CommandLine(new NormalizeJob()).getCommandSpec().options().stream().map(OptionSpec::longestName)
        .toList();
  }
}
