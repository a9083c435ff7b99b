package io.sparknorm.runner;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparknorm.testing.ChildProcess;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A MiniYARNCluster (one ResourceManager, two NodeManagers, loopback) in a JVM of its own ({@link MiniYarn}),
 * started from the test class path plus the jars in the folder that the system property
 * {@value #JARS_PROPERTY} names; {@link #close()} stops it by its pid (SIGTERM, then SIGKILL to it and every
 * container it started).
 *
 * <p>{@link #confDir()} holds its {@code yarn-site.xml} and {@code core-site.xml}: a client's
 * {@code HADOOP_CONF_DIR}. The containers (application masters, executors, a cluster-mode driver) are this JVM's
 * descendants; {@link #executors} finds them there, never by name on the whole machine. Container logs stay in the
 * NodeManagers' log folders under {@link #dir()}; the ResourceManager's REST API answers on loopback.
 */
final class YarnCluster implements AutoCloseable {

  /** System property: the folder of jars the cluster's JVM needs beyond the test class path. */
  static final String JARS_PROPERTY = "sparknorm.minicluster.jars.dir";

  /** The main class of an executor JVM in a YARN container. */
  static final String EXECUTOR_CLASS = "org.apache.spark.executor.YarnCoarseGrainedExecutorBackend";

  private final Path dir;
  private final ChildProcess process;
  private final String rmAddress;
  private final int webPort;
  private final double secondsToStart;

  private YarnCluster(Path dir, ChildProcess process, String rmAddress, int webPort, double secondsToStart) {
    this.dir = dir;
    this.process = process;
    this.rmAddress = rmAddress;
    this.webPort = webPort;
    this.secondsToStart = secondsToStart;
  }

  /**
   * Starts the cluster's JVM in {@code dir} (its working directory: the NodeManagers' folders go there) and waits
   * for its ready line, at most {@code timeout}; on failure it is killed with whatever it started.
   */
  static YarnCluster start(Path dir, Duration timeout) {
    Path confDir = dir.resolve("conf");
    try {
      Files.createDirectories(confDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String jars = System.getProperty(JARS_PROPERTY);
    if (jars == null || !Files.isDirectory(Path.of(jars))) {
      throw new IllegalStateException("no folder of minicluster jars (system property " + JARS_PROPERTY + ": " + jars
          + "): build local-runner first (mvn -B package -DskipTests)");
    }
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx1g", "-XX:TieredStopAtLevel=1"));
    String flags = System.getProperty("sparknorm.spark.jvm.flags", "").strip();
    if (!flags.isEmpty()) {
      command.addAll(List.of(flags.split("\\s+")));
    }
    command.addAll(List.of("-cp", System.getProperty("java.class.path") + File.pathSeparator
        + Path.of(jars).toAbsolutePath() + File.separator + "*", MiniYarn.class.getName(), confDir.toString()));
    long t0 = System.nanoTime();
    ChildProcess child = ChildProcess.of(command).directory(dir)
        // The containers' java is $JAVA_HOME/bin/java, from the NodeManager's environment.
        .env("JAVA_HOME", System.getProperty("java.home"))
        .without("HADOOP_CONF_DIR", "YARN_CONF_DIR", "HADOOP_HOME")
        .output(dir.resolve("miniyarn.out"), dir.resolve("miniyarn.err")).start();
    long deadline = t0 + timeout.toNanos();
    try {
      while (true) {
        Optional<String> ready = child.stdout().lines().filter(l -> l.startsWith(MiniYarn.READY)).findFirst();
        if (ready.isPresent()) {
          String[] words = ready.get().substring(MiniYarn.READY.length()).strip().split(" ");
          YarnCluster cluster = new YarnCluster(dir, child, words[0],
              Integer.parseInt(words[1].substring(words[1].lastIndexOf(':') + 1)), (System.nanoTime() - t0) / 1e9);
          System.out.printf(Locale.ROOT, "[yarn] up in %.1f s: pid %d, ResourceManager %s, web %s%n",
              cluster.secondsToStart, child.pid(), words[0], words[1]);
          return cluster;
        }
        if (!child.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException("the MiniYARNCluster did not start"
              + (child.isAlive() ? " within " + timeout : "") + ":\n" + child.tail());
        }
        Thread.sleep(100);
      }
    } catch (RuntimeException | InterruptedException e) {
      child.kill();
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while the MiniYARNCluster started", e);
      }
      throw (RuntimeException) e;
    }
  }

  Path dir() {
    return dir;
  }

  /** The folder with yarn-site.xml and core-site.xml. */
  Path confDir() {
    return dir.resolve("conf");
  }

  long pid() {
    return process.pid();
  }

  String rmAddress() {
    return rmAddress;
  }

  double secondsToStart() {
    return secondsToStart;
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** The applications carrying this tag ({@code spark.yarn.tags}), from the ResourceManager's REST API. */
  List<JsonNode> applications(String tag) {
    JsonNode answer = StandaloneCluster.getJson(webPort, "/ws/v1/cluster/apps?applicationTags=" + tag);
    if (answer == null) {
      throw new IllegalStateException("no answer from the ResourceManager's REST API on port " + webPort);
    }
    List<JsonNode> apps = new ArrayList<>();
    answer.path("apps").path("app").forEach(apps::add);
    return apps;
  }

  /** The one application with this tag; fails when there is none or more. */
  JsonNode application(String tag) {
    List<JsonNode> apps = applications(tag);
    if (apps.size() != 1) {
      throw new IllegalStateException("expected one application tagged " + tag + ", got " + apps);
    }
    return apps.get(0);
  }

  /**
   * The one application with this tag once the ResourceManager has its final state (FINISHED, FAILED or KILLED),
   * waiting at most {@code timeout}: in client mode spark-submit can end before the application master has told the
   * ResourceManager.
   */
  JsonNode finishedApplication(String tag, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      JsonNode app = application(tag);
      if (List.of("FINISHED", "FAILED", "KILLED").contains(app.path("state").asText())
          || System.nanoTime() > deadline) {
        return app;
      }
      Thread.sleep(200);
    }
  }

  /** Executor JVMs of this application running now in the cluster's containers, by their pid. */
  List<ProcessHandle> executors(String appId) {
    return process.handle().descendants().filter(p -> {
      List<String> args = ChildProcess.commandLine(p.pid());
      int i = args.indexOf("--app-id");
      return p.isAlive() && args.contains(EXECUTOR_CLASS) && i >= 0 && i + 1 < args.size()
          && args.get(i + 1).equals(appId);
    }).toList();
  }

  /**
   * A container's log file ({@code stdout}, {@code stderr}) from the NodeManagers' log folders; the container is
   * given by the end of its id ({@code 000001} is the application master's, in cluster mode the driver's).
   */
  Path containerLog(String appId, String containerSuffix, String name) {
    try (Stream<Path> files = Files.walk(dir)) {
      List<Path> found = files.filter(p -> p.getFileName().toString().equals(name) && p.getParent() != null
          && p.getParent().getFileName().toString().startsWith("container_")
          && p.getParent().getFileName().toString().endsWith("_" + containerSuffix)
          && p.getParent().getParent().getFileName().toString().equals(appId)).toList();
      if (found.size() != 1) {
        throw new IllegalStateException("expected one " + name + " of container *_" + containerSuffix + " of "
            + appId + " under " + dir + ", found " + found);
      }
      return found.get(0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** SIGTERM (the cluster stops its services and containers), up to 60 s, then SIGKILL to all that is left. */
  ChildProcess.Stop stop() {
    return process.stop(Duration.ofSeconds(60));
  }

  @Override
  public void close() {
    stop();
  }
}
