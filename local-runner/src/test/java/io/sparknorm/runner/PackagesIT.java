package io.sparknorm.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.testing.ChildProcess;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library by coordinates: {@code spark-submit --packages io.sparknorm:sparknorm-spark_2.13:VERSION} resolves the
 * library and the core (and their one dependency, DataSketches) from a Maven repository laid out as {@code mvn install}
 * leaves it, and the SQL functions work in an application that holds no sparknorm class of its own.
 *
 * <p>The repository is the build's own jars and poms, copied into a temporary folder in the local repository's
 * layout: the test never reads a sparknorm jar that an earlier {@code mvn install} left in ~/.m2.
 */
class PackagesIT {
  private static final String VERSION = System.getProperty("sparknorm.version", "0.1.0-SNAPSHOT");
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  @Test
  void theSqlFunctionsComeFromTheLibrarysCoordinates(@TempDir Path dir) throws IOException {
    Path repository = dir.resolve("repository");
    publish(repository, "sparknorm-parent", ROOT.resolve("pom.xml"), null);
    publish(repository, "sparknorm-core", ROOT.resolve("core/pom.xml"),
        ROOT.resolve("core/target/sparknorm-core-" + VERSION + ".jar"));
    publish(repository, "sparknorm-spark_2.13", ROOT.resolve("spark/pom.xml"),
        ROOT.resolve("spark/target/sparknorm-spark_2.13-" + VERSION + ".jar"));
    Path settings = ivySettings(dir, repository);
    Path app = appJar(dir.resolve("app.jar"));

    ChildProcess.Result result = new SparkSubmitProcess(Duration.ofMinutes(4)).run(List.of(
        "--master", "local[1]", "--conf", "spark.ui.enabled=false",
        "--packages", "io.sparknorm:sparknorm-spark_2.13:" + VERSION,
        "--conf", "spark.jars.ivySettings=" + settings,
        "--conf", "spark.jars.ivy=" + dir.resolve("ivy"),
        "--conf", "spark.sql.extensions=io.sparknorm.sql.SparknormExtensions",
        "--class", SqlStatementsApp.class.getName(), app.toString(),
        "SELECT layer_norm(array(1d, 2d, 3d, 4d), '4', 0d)",
        "SELECT group_norm(array(1d, 3d, 10d, 30d), '4', 2, 0d)",
        "SELECT s.count, s.mean FROM (SELECT batch_norm_stats(t, '2') AS s"
            + " FROM VALUES (array(1d, 10d)), (array(3d, 30d)) AS v(t))"));

    assertEquals(0, result.exitCode(), result::describe);
    String err = result.stderr();
    assertTrue(err.contains("io.sparknorm#sparknorm-spark_2.13;" + VERSION + " in built"), result::describe);
    assertTrue(err.contains("io.sparknorm#sparknorm-core;" + VERSION + " in built"), result::describe);
    assertTrue(err.contains("org.apache.datasketches#datasketches-java;"), result::describe);
    // (x - 2.5) / sqrt(1.25) for x = 1..4, and per group of two channels (x - m) / |d|.
    double a = 1.5 / Math.sqrt(1.25);
    double b = 0.5 / Math.sqrt(1.25);
    List<String> rows = result.stdout().lines().filter(l -> l.startsWith("row: ")).toList();
    assertEquals(List.of(
        "row: ArraySeq(" + -a + ", " + -b + ", " + b + ", " + a + ")",
        "row: ArraySeq(-1.0, 1.0, -1.0, 1.0)",
        "row: 2|ArraySeq(2.0, 20.0)"), rows, result::describe);
  }

  /** One artifact in the local repository's layout: its pom, and its jar unless it is a pom-only project. */
  private static void publish(Path repository, String artifact, Path pom, Path jar) throws IOException {
    Path folder = Files.createDirectories(repository.resolve("io/sparknorm").resolve(artifact).resolve(VERSION));
    Files.copy(pom, folder.resolve(artifact + "-" + VERSION + ".pom"));
    if (jar != null) {
      assertTrue(Files.isRegularFile(jar), jar + " is missing: run mvn -B package first");
      Files.copy(jar, folder.resolve(artifact + "-" + VERSION + ".jar"), StandardCopyOption.COPY_ATTRIBUTES);
    }
  }

  /**
   * Ivy resolves from the built repository first, then from the local Maven repository and Maven Central (for
   * DataSketches). Spark's own artifacts are provided scope in the library's pom, so none is fetched.
   */
  private static Path ivySettings(Path dir, Path repository) throws IOException {
    Path m2 = Path.of(System.getProperty("user.home"), ".m2", "repository");
    String xml = "<ivysettings>\n"
        + "  <settings defaultResolver=\"chain\"/>\n"
        + "  <resolvers>\n"
        + "    <chain name=\"chain\" returnFirst=\"true\">\n"
        + "      <ibiblio name=\"built\" m2compatible=\"true\" root=\"" + repository.toUri() + "\"/>\n"
        + "      <ibiblio name=\"local-m2\" m2compatible=\"true\" root=\"" + m2.toUri() + "\"/>\n"
        + "      <ibiblio name=\"central\" m2compatible=\"true\"/>\n"
        + "    </chain>\n"
        + "  </resolvers>\n"
        + "</ivysettings>\n";
    return Files.writeString(dir.resolve("ivysettings.xml"), xml);
  }

  /** A jar with the application class only. */
  private static Path appJar(Path jar) throws IOException {
    String entry = SqlStatementsApp.class.getName().replace('.', '/') + ".class";
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().putValue("Manifest-Version", "1.0");
    try (OutputStream file = Files.newOutputStream(jar);
        JarOutputStream out = new JarOutputStream(file, manifest)) {
      out.putNextEntry(new JarEntry(entry));
      try (var in = SqlStatementsApp.class.getClassLoader().getResourceAsStream(entry)) {
        in.transferTo(out);
      }
      out.closeEntry();
    }
    return jar;
  }
}
