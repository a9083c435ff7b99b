package io.sparknorm.runner;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

/**
 * The main of the JVM that {@link YarnCluster} starts: a MiniYARNCluster with one ResourceManager and two
 * NodeManagers on loopback ({@code localhost}, every port picked free), its folders under the working directory.
 *
 * <p>{@code MiniYarn CONF_DIR} starts it, waits until the ResourceManager has its port (start can return before),
 * writes {@code yarn-site.xml} (the cluster's whole configuration) and {@code core-site.xml} (the local file system as
 * the default, so that the client stages on local disk) into {@code CONF_DIR}, then prints one line
 * {@value #READY} followed by the ResourceManager's address and its web address, and runs until it is terminated:
 * SIGTERM stops the cluster through a shutdown hook, which also ends the containers it runs.
 *
 * <p>Own JVM, because the minicluster's classes come with utilities that need bouncycastle and reload4j beside the
 * test class path, and because its containers are then this JVM's descendants, found by its pid.
 */
final class MiniYarn {

  /** The first word of the line printed once the cluster is up. */
  static final String READY = "miniyarn: ready";

  /** Each NodeManager's memory and cores for containers. */
  static final int NODE_MEMORY_MB = 4096;
  static final int NODE_VCORES = 4;

  private MiniYarn() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: MiniYarn CONF_DIR");
      System.exit(2);
    }
    Path confDir = Path.of(args[0]);
    MiniYARNCluster cluster = new MiniYARNCluster("miniyarn", 1, 2, 1);
    Runtime.getRuntime().addShutdownHook(new Thread(cluster::stop, "stop MiniYARNCluster"));
    cluster.init(settings());
    cluster.start();

    long deadline = System.nanoTime() + 60_000_000_000L;
    while (rmPort(cluster.getConfig()) == 0) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the ResourceManager has no port after 60 s: "
            + cluster.getConfig().get(YarnConfiguration.RM_ADDRESS));
      }
      Thread.sleep(100);
    }
    if (!cluster.waitForNodeManagersToConnect(60_000)) {
      throw new IllegalStateException("the NodeManagers did not register within 60 s");
    }

    Configuration conf = new Configuration(cluster.getConfig());
    write(confDir.resolve("yarn-site.xml"), conf);
    Configuration core = new Configuration(false);
    core.set("fs.defaultFS", "file:///");
    write(confDir.resolve("core-site.xml"), core);
    System.out.println(READY + " " + conf.get(YarnConfiguration.RM_ADDRESS) + " "
        + conf.get(YarnConfiguration.RM_WEBAPP_ADDRESS));
    System.out.flush();
    Thread.currentThread().join(); // until SIGTERM
  }

  /** The settings Spark's own YARN tests use, and what the 2-core test machine needs. */
  private static YarnConfiguration settings() {
    YarnConfiguration conf = new YarnConfiguration();
    // The capacity scheduler's one queue, set by hand: the minicluster has no capacity-scheduler.xml.
    conf.set("yarn.scheduler.capacity.root.queues", "default");
    conf.setInt("yarn.scheduler.capacity.root.default.capacity", 100);
    conf.setFloat("yarn.scheduler.capacity.root.default.user-limit-factor", 1);
    conf.setInt("yarn.scheduler.capacity.root.default.maximum-capacity", 100);
    conf.set("yarn.scheduler.capacity.root.default.state", "RUNNING");
    conf.set("yarn.scheduler.capacity.root.default.acl_submit_applications", "*");
    conf.set("yarn.scheduler.capacity.root.default.acl_administer_queue", "*");
    conf.setInt("yarn.scheduler.capacity.node-locality-delay", -1);
    // A full test disk must not mark the nodes unhealthy; JVMs reserve far more virtual memory than they use.
    conf.setFloat("yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage", 100.0f);
    conf.setBoolean("yarn.nodemanager.vmem-check-enabled", false);
    conf.setInt("yarn.nodemanager.resource.memory-mb", NODE_MEMORY_MB);
    conf.setInt("yarn.nodemanager.resource.cpu-vcores", NODE_VCORES);
    conf.setInt("yarn.scheduler.minimum-allocation-mb", 256);
    return conf;
  }

  private static int rmPort(Configuration conf) {
    String address = conf.get(YarnConfiguration.RM_ADDRESS, "");
    int colon = address.lastIndexOf(':');
    return colon < 0 ? 0 : Integer.parseInt(address.substring(colon + 1));
  }

  /** Written whole, then moved into place: the test never reads half a file. */
  private static void write(Path file, Configuration conf) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (OutputStream out = Files.newOutputStream(tmp)) {
      conf.writeXml(out);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
  }
}
