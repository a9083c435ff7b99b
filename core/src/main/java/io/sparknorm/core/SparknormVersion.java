package io.sparknorm.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The release of sparknorm these classes belong to: the parent pom's version, written into the jar by the build. */
public final class SparknormVersion {
  private SparknormVersion() {}

  private static final String VERSION = load();

  /** The full version, such as {@code 0.1.0-SNAPSHOT}. */
  public static String full() {
    return VERSION;
  }

  /** The release without a qualifier, such as {@code 0.1.0}: what the SQL functions' "since" reports. */
  public static String release() {
    int dash = VERSION.indexOf('-');
    return dash < 0 ? VERSION : VERSION.substring(0, dash);
  }

  private static String load() {
    try (InputStream in = SparknormVersion.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        throw new IllegalStateException("version.properties is missing from sparknorm-core's jar");
      }
      Properties properties = new Properties();
      properties.load(in);
      return properties.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
