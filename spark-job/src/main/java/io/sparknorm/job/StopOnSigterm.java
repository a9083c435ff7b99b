package io.sparknorm.job;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * A stream that runs until stopped stops on SIGTERM (what {@code kill}, YARN and Kubernetes send first) after its
 * current micro-batch: the handler only records the request, the job's loop then stops the query between micro-batches
 * and prints the summary. The JVM's own handler (exit at once) is put back on close.
 */
final class StopOnSigterm implements AutoCloseable {
  private static final Signal TERM = new Signal("TERM");

  private volatile boolean requested;
  private final SignalHandler previous;

  private StopOnSigterm() {
    previous = Signal.handle(TERM, signal -> requested = true);
  }

  static StopOnSigterm install() {
    return new StopOnSigterm();
  }

  boolean requested() {
    return requested;
  }

  @Override
  public void close() {
    Signal.handle(TERM, previous);
  }
}
