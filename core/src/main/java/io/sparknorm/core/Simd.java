package io.sparknorm.core;

/**
 * Whether this JVM runs {@link VectorMomentsStage}: it has the Vector API module
 * ({@code --add-modules=jdk.incubator.vector}, which Spark's launcher adds to every driver and
 * executor) with vectors of at least 4 doubles, and {@code -Dsparknorm.simd=false} is not set.
 * Kept apart from that class so that a JVM without the module never loads it.
 */
final class Simd {
  static final boolean AVAILABLE = check();

  private Simd() {}

  private static boolean check() {
    if ("false".equals(System.getProperty("sparknorm.simd"))) {
      return false;
    }
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      return false;
    }
    try {
      return VectorMomentsStage.LANES >= 4;
    } catch (LinkageError e) {
      return false;
    }
  }
}
