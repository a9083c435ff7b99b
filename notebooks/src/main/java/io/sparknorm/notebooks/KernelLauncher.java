package io.sparknorm.notebooks;

import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.rapaio.jupyter.kernel.MainApp;
import org.rapaio.jupyter.kernel.channels.AbstractChannel;
import org.rapaio.jupyter.kernel.channels.Channels;
import org.rapaio.jupyter.kernel.channels.LoopThread;
import org.rapaio.jupyter.kernel.channels.MessageHandler;
import org.rapaio.jupyter.kernel.core.ConnectionProperties;
import org.rapaio.jupyter.kernel.core.RapaioKernel;
import org.rapaio.jupyter.kernel.core.Transform;
import org.rapaio.jupyter.kernel.message.Message;
import org.rapaio.jupyter.kernel.message.MessageType;
import org.rapaio.jupyter.kernel.message.messages.IOPubStatus;

/**
 * Starts the rapaio Jupyter kernel (io.github.padreati:rapaio-jupyter-kernel 3.0.1, a Java kernel running JShell in
 * this JVM) for one connection file, as its own main class {@code org.rapaio.jupyter.kernel.MainApp} does, but
 * reliably. In 3.0.1 about one start in four hung, from two races in its start-up:
 *
 * <ol>
 *   <li>{@code LoopThread.start()} sets the thread's {@code running} flag only after {@code Thread.start()}, so a
 *       channel's loop thread (heartbeat, control, shell) that gets to its {@code while (running)} first ends at once,
 *       and that channel is dead for good;</li>
 *   <li>{@code Channels.connect} binds the sockets (starting their loop threads) before it creates its map of message
 *       handlers, so a {@code kernel_info_request} that arrives early makes the shell thread fail with a
 *       NullPointerException, and the shell channel is dead for good.</li>
 * </ol>
 *
 * <p>Here the handlers are in place before any socket is bound, and every loop thread that a channel's
 * {@code bind} started is stopped, joined and replaced by a new one carrying the same loop body whose flag is set
 * before it starts: whichever way the race went, one thread runs each loop. Messages that arrive meanwhile wait in
 * their ZeroMQ socket. Only the kernel's public API and its private fields are used; no class of the kernel is
 * replaced.
 *
 * <p>Also: the kernel's own logging configuration sets java.util.logging's root level to FINEST, which Spark picks up
 * and under which its code generation fails (every query then falls back to slow interpreted code). This launcher
 * keeps the root level at INFO and prints the kernel's own messages from WARNING up on standard error
 * ({@code SPARKNORM_KERNEL_LOG=INFO} for more).
 *
 * <p>{@code SPARKNORM_KERNEL_PID_DIR}: when set, the launcher writes a file named by its process id there, so that
 * whoever started Jupyter (notebooks/run) can find and end the kernels it started, by process id.
 *
 * <p>Usage (what kernel.json's argv runs): {@code java [Spark's JVM flags] -jar sparknorm-kernel.jar CONNECTION_FILE}
 */
public final class KernelLauncher {

  /** The channels whose bind() starts a loop thread (IOPub and stdin have none). */
  private static final List<String> LOOP_CHANNELS = List.of("heartbeat", "control", "shell");

  private KernelLauncher() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: java [JVM options] -jar sparknorm-kernel.jar CONNECTION_FILE"
          + "  (Jupyter runs this from kernel.json, with {connection_file})");
      System.exit(2);
    }
    Path connectionFile = Path.of(args[0]);
    if (!Files.isRegularFile(connectionFile)) {
      System.err.println("error: sparknorm kernel: connection file " + connectionFile.toAbsolutePath()
          + " does not exist or is not a file");
      System.exit(2);
    }
    configureLogging(System.getenv("SPARKNORM_KERNEL_LOG"));
    writePidFile(System.getenv("SPARKNORM_KERNEL_PID_DIR"));

    ConnectionProperties connection =
        Transform.fromJson(Files.readString(connectionFile, StandardCharsets.UTF_8), ConnectionProperties.class);
    if ("ipc".equals(connection.transport())) {
      System.err.println("error: sparknorm kernel: transport 'ipc' is not supported by the rapaio kernel; use tcp");
      System.exit(2);
    }
    // MainApp.kernel, not a new RapaioKernel: the kernel's Global helpers (display, eval in a notebook) call that one.
    RapaioKernel kernel = MainApp.kernel;
    Channels channels = new Channels(connection);
    connect(channels, kernel, connection);
    channels.joinUntilClose();
    // Shut down on request: end the JVM even if a notebook left threads behind (a SparkSession not stopped).
    System.exit(0);
  }

  /** What {@code Channels.connect} does, in an order without its races. */
  static void connect(Channels channels, RapaioKernel kernel, ConnectionProperties connection) throws Exception {
    setField(channels, "handlers", handlers(kernel));
    kernel.registerChannels(channels);
    for (String name : List.of("iopub", "stdin", "heartbeat", "control", "shell")) {
      AbstractChannel channel = (AbstractChannel) getField(channels, name);
      channel.bind(connection);
      if (LOOP_CHANNELS.contains(name)) {
        restartLoop(channel);
      }
    }
    setField(channels, "isConnected", true);
    ((AbstractChannel) getField(channels, "iopub"))
        .sendMessage(new Message<>(MessageType.IOPUB_STATUS, IOPubStatus.STARTING));
  }

  /** The kernel's handler of each request type, complete before any message can arrive. */
  private static Map<MessageType<?>, MessageHandler<?>> handlers(RapaioKernel kernel) {
    Map<MessageType<?>, MessageHandler<?>> handlers = new HashMap<>();
    put(handlers, MessageType.SHELL_EXECUTE_REQUEST, kernel::handleExecuteRequest);
    put(handlers, MessageType.SHELL_INSPECT_REQUEST, kernel::handleInspectRequest);
    put(handlers, MessageType.SHELL_COMPLETE_REQUEST, kernel::handleCompleteRequest);
    put(handlers, MessageType.SHELL_HISTORY_REQUEST, kernel::handleHistoryRequest);
    put(handlers, MessageType.SHELL_IS_COMPLETE_REQUEST, kernel::handleIsCompleteRequest);
    put(handlers, MessageType.SHELL_KERNEL_INFO_REQUEST, kernel::handleKernelInfoRequest);
    put(handlers, MessageType.SHELL_COMM_INFO_REQUEST, kernel::handleCommInfoRequest);
    put(handlers, MessageType.CONTROL_SHUTDOWN_REQUEST, kernel::handleShutdownRequest);
    put(handlers, MessageType.CONTROL_INTERRUPT_REQUEST, kernel::handleInterruptRequest);
    put(handlers, MessageType.CUSTOM_COMM_OPEN, kernel::handleCommOpenCommand);
    put(handlers, MessageType.CUSTOM_COMM_MSG, kernel::handleCommMsgCommand);
    put(handlers, MessageType.CUSTOM_COMM_CLOSE, kernel::handleCommCloseCommand);
    return handlers;
  }

  private static <T> void put(Map<MessageType<?>, MessageHandler<?>> map, MessageType<T> type, MessageHandler<T> h) {
    map.put(type, h);
  }

  /**
   * Replaces the loop thread that {@code channel.bind} started by one that cannot miss its start: the old one is told
   * to stop and joined (it may have ended at once, or have run a few rounds), then a new thread with the same loop
   * body, its running flag already true, takes its place in the channel (where close() and joinUntilClose() find it).
   */
  private static void restartLoop(AbstractChannel channel) throws Exception {
    LoopThread started = (LoopThread) getField(channel, "loopThread");
    if (started == null) {
      throw new IllegalStateException("the rapaio kernel's " + channel.getClass().getSimpleName()
          + " has no loop thread after bind(): this launcher is written for rapaio-jupyter-kernel 3.0.1");
    }
    Runnable body = (Runnable) getField(started, "loopBody");
    long sleep = (Long) getField(started, "sleep");
    started.shutdown();
    started.join();
    LoopThread fresh = new LoopThread(started.getName(), sleep, body);
    setField(fresh, "running", true);
    setField(channel, "loopThread", fresh);
    fresh.start();
  }

  private static void configureLogging(String level) {
    Level handlerLevel;
    try {
      handlerLevel = level == null || level.isBlank() ? Level.WARNING : Level.parse(level.trim().toUpperCase());
    } catch (IllegalArgumentException e) {
      System.err.println("error: sparknorm kernel: SPARKNORM_KERNEL_LOG='" + level
          + "' is not a java.util.logging level (SEVERE, WARNING, INFO, FINE, ...)");
      System.exit(2);
      return;
    }
    LogManager.getLogManager().reset();
    Logger root = Logger.getLogger("");
    // INFO, not the FINEST of the kernel's logging.properties (that breaks Spark's code generation).
    root.setLevel(handlerLevel.intValue() < Level.INFO.intValue() ? handlerLevel : Level.INFO);
    ConsoleHandler console = new ConsoleHandler();
    console.setLevel(handlerLevel);
    console.setFormatter(new SimpleFormatter());
    root.addHandler(console);
  }

  private static void writePidFile(String dir) throws IOException {
    if (dir == null || dir.isBlank()) {
      return;
    }
    Path folder = Path.of(dir);
    Files.createDirectories(folder);
    Files.writeString(folder.resolve(Long.toString(ProcessHandle.current().pid())), "sparknorm-kernel\n");
  }

  private static Field field(Class<?> type, String name) throws NoSuchFieldException {
    for (Class<?> c = type; c != null; c = c.getSuperclass()) {
      try {
        Field f = c.getDeclaredField(name);
        f.setAccessible(true);
        return f;
      } catch (NoSuchFieldException e) {
        // look in the superclass
      }
    }
    throw new NoSuchFieldException(type.getName() + "." + name
        + " (this launcher is written for rapaio-jupyter-kernel 3.0.1)");
  }

  private static Object getField(Object target, String name) throws ReflectiveOperationException {
    return field(target.getClass(), name).get(target);
  }

  private static void setField(Object target, String name, Object value) throws ReflectiveOperationException {
    field(target.getClass(), name).set(target, value);
  }
}
