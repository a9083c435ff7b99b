package io.sparknorm.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The SQL functions, the DataFrame API and the report run in a session with spark-sql alone: no class of theirs
 * names a Spark ML class (Spark ML vectors are recognized by their type's class name). Only io.sparknorm.ml needs
 * spark-mllib.
 */
class MllibFreeTest {
  private static final String ML_PACKAGE = "org/apache/spark/ml/";

  @Test
  void noClassOutsideTheMlStagesReferencesSparkMl() throws IOException, URISyntaxException {
    Path classes = Path.of(SparknormExtensions.class.getProtectionDomain().getCodeSource().getLocation().toURI())
        .resolve("io/sparknorm");
    int checked = 0;
    for (String pkg : List.of("sql", "spark", "report")) {
      try (Stream<Path> files = Files.list(classes.resolve(pkg))) {
        for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
          // Class names in the constant pool are modified UTF-8, which for ASCII names is ISO-8859-1 bytes.
          String bytes = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
          assertTrue(!bytes.contains(ML_PACKAGE), file + " references a Spark ML class (" + ML_PACKAGE + "...)");
          checked++;
        }
      }
    }
    assertTrue(checked > 40, "too few classes checked: " + checked);
  }

  @Test
  void theMlStagesDoReferenceSparkMlSoTheCheckCanSeeIt() throws IOException, URISyntaxException {
    Path stage = Path.of(SparknormExtensions.class.getProtectionDomain().getCodeSource().getLocation().toURI())
        .resolve("io/sparknorm/ml/TensorBatchNorm.class");
    String bytes = new String(Files.readAllBytes(stage), StandardCharsets.ISO_8859_1);
    assertEquals(true, bytes.contains(ML_PACKAGE));
  }
}
