package io.sparknorm.job;

import io.sparknorm.core.SparknormVersion;
import picocli.CommandLine.IVersionProvider;

/** What {@code --version} prints: the build's version, from the parent pom. */
final class JobVersion implements IVersionProvider {
  @Override
  public String[] getVersion() {
    return new String[] {"sparknorm " + SparknormVersion.full()};
  }
}
