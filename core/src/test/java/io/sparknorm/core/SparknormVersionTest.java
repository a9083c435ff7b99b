package io.sparknorm.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SparknormVersionTest {
  @Test
  void theJarCarriesThePomsVersion() {
    String pom = System.getProperty("sparknorm.project.version");
    assertEquals(pom, SparknormVersion.full());
    assertEquals(pom.replaceAll("-.*", ""), SparknormVersion.release());
  }
}
