package io.sparknorm.runner;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparknorm.testing.ChildProcess;
import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * The Spark Connect client program ({@code src/test/connect-client}, main class {@value #MAIN_CLASS}) in a JVM of its
 * own whose class path is only the Connect JVM client with its dependencies ({@code target/connect-client/*}), the
 * job jar and the program: no classic Spark, no test class path.
 *
 * <p>The program is compiled here, at test time, against that same class path (the job jar's
 * {@code io.sparknorm.sql.functions} included), so its compilation also shows that the DataFrame API of the job jar
 * is usable by an application that has nothing of Spark but the Connect client. It is not in src/test/java: the test
 * class path has classic Spark and, with {@code -Dsparknorm.runner.standalone}, no job classes.
 */
final class ConnectClient {

  static final String MAIN_CLASS = "io.sparknorm.runner.connect.ConnectClientCheck";

  /** System property naming the folder with the client's jars (the build passes target/connect-client). */
  static final String DIR_PROPERTY = "sparknorm.connect.client.dir";

  /** The JVM options of the client: Spark's module flags, passed by the build; Arrow needs java.nio open. */
  static final String FLAGS_PROPERTY = "sparknorm.spark.jvm.flags";

  /** The JSON lines of a client run's standard output (lines starting with '{'), parsed; numbers as BigDecimal. */
  static List<JsonNode> jsonLines(ChildProcess.Result run) {
    List<JsonNode> nodes = new ArrayList<>();
    for (String line : run.stdout().lines().filter(l -> l.startsWith("{")).toList()) {
      try {
        nodes.add(TestSpark.JSON.readTree(line));
      } catch (IOException e) {
        throw new UncheckedIOException("not JSON: " + line, e);
      }
    }
    return nodes;
  }

  private final List<Path> classPath;

  private ConnectClient(List<Path> classPath) {
    this.classPath = List.copyOf(classPath);
  }

  /**
   * Compiles the client program against the Connect client's jars and the job jar into {@code classes}.
   *
   * @throws AssertionError with javac's messages when it does not compile
   */
  static ConnectClient compile(Path jobJar, Path classes) {
    List<Path> libraries = new ArrayList<>(clientJars());
    libraries.add(jobJar);
    List<File> sources;
    try (Stream<Path> files = Files.walk(sourceDir())) {
      sources = files.filter(p -> p.toString().endsWith(".java")).map(Path::toFile).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    assertTrue(!sources.isEmpty(), "no client sources under " + sourceDir());
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    assertTrue(javac != null, "no Java compiler in this JVM (a JRE?): " + System.getProperty("java.home"));
    StringWriter messages = new StringWriter();
    try (StandardJavaFileManager files = javac.getStandardFileManager(null, Locale.ROOT, StandardCharsets.UTF_8)) {
      Files.createDirectories(classes);
      List<String> options = List.of("--release", "17", "-Xlint:all,-options,-classfile,-processing,-path", "-proc:none",
          "-d", classes.toString(), "-classpath", join(libraries));
      boolean ok = javac.getTask(messages, files, null, options, null, files.getJavaFileObjectsFromFiles(sources))
          .call();
      assertTrue(ok, () -> "the Connect client program does not compile against " + clientDir()
          + "/* and " + jobJar + ":\n" + messages);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (!messages.toString().isBlank()) {
      System.out.println("[SparkConnectIT] javac: " + messages);
    }
    List<Path> classPath = new ArrayList<>(libraries);
    classPath.add(classes);
    return new ConnectClient(classPath);
  }

  /** The folder of the Connect client's jars; fails with a hint when the build has not made it. */
  static Path clientDir() {
    String configured = System.getProperty(DIR_PROPERTY);
    Path dir = (configured != null && !configured.isBlank() ? Path.of(configured)
        : Path.of("target", "connect-client")).toAbsolutePath().normalize();
    assertTrue(Files.isDirectory(dir), "no " + dir + ": run the package phase of local-runner first");
    return dir;
  }

  static List<Path> clientJars() {
    try (Stream<Path> files = Files.list(clientDir())) {
      List<Path> jars = files.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
      assertTrue(jars.stream().anyMatch(p -> p.getFileName().toString().startsWith("spark-connect-client-jvm_")),
          "no spark-connect-client-jvm jar in " + clientDir() + ": " + jars);
      return jars;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The client's class path, in order. */
  List<Path> classPath() {
    return classPath;
  }

  /**
   * Runs the client program with the given arguments, its output in {@code dir} ({@code client.out},
   * {@code client.err}); bounded by {@code timeout} (then killed with all it started: {@link ChildProcess.Timeout}).
   */
  ChildProcess.Result run(List<String> args, Path dir, Duration timeout) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx512m");
    String flags = System.getProperty(FLAGS_PROPERTY, "--add-opens=java.base/java.nio=ALL-UNNAMED");
    command.addAll(List.of(flags.strip().split("\\s+")));
    // The runner's log4j2.properties: warnings and errors only, on standard error (standard output stays JSON).
    Path log4j = Path.of("target", "spark-home", "conf", "log4j2.properties").toAbsolutePath();
    if (Files.isRegularFile(log4j)) {
      command.add("-Dlog4j.configurationFile=" + log4j);
    }
    command.addAll(List.of("-cp", join(classPath), MAIN_CLASS));
    command.addAll(args);
    System.out.println("[SparkConnectIT] client: " + String.join(" ", args));
    // Nothing of the test JVM's Spark settings: the client knows only its URL.
    return ChildProcess.of(command).without("SPARK_REMOTE", "CLASSPATH")
        .output(dir.resolve("client.out"), dir.resolve("client.err")).run(timeout);
  }

  private static Path sourceDir() {
    return Path.of("src", "test", "connect-client").toAbsolutePath();
  }

  private static String join(List<Path> paths) {
    return paths.stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator));
  }
}
