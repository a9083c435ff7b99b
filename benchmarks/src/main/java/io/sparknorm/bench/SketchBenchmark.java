package io.sparknorm.bench;

import io.sparknorm.core.ChannelSketches;
import io.sparknorm.core.ExactMoments;
import io.sparknorm.core.Shape;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The statistics pass with and without the report's sketches (the target: at most 1.25x), in ns per
 * element. Every invocation is one task's share of a statistics pass: fresh states, every sample
 * of the task folded in, then the states written as bytes (as a task hands its partial state to
 * the merge), {@value #ELEMENTS} elements:
 *
 * <ul>
 *   <li>{@code rows64}: 49,152 rows of shape (64,), C = 64 x S = 1 (768 distinct rows, 64 times);
 *   <li>{@code images3x32x32}: 1,024 images of shape (3,32,32), C = 3 x S = 1,024 (16 distinct
 *       images, 64 times).
 * </ul>
 *
 * Each as float[] or double[] samples, seeded Gaussian data with an offset and a spread per
 * channel. Benchmarks: {@code exact}, {@link ExactMoments} alone (the pass as it was);
 * {@code exactAndSketches}, ExactMoments and {@link ChannelSketches} (KLL with k = 200, min, max,
 * zeros, non-finite counts, central moments to the fourth) on every sample, the pass with sketches;
 * {@code sketches}, ChannelSketches alone; {@code kll}, for reference, plain DataSketches: one
 * {@link KllDoublesSketch} (k = 200) a channel, every value given to it as it is (what
 * ChannelSketches' {@code KllFeeder} cuts down).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@OperationsPerInvocation(SketchBenchmark.ELEMENTS)
public class SketchBenchmark {

  /** Elements a task: 49,152 x 64 = 1,024 x 3 x 32 x 32. */
  public static final int ELEMENTS = 3 * 1024 * 1024;
  private static final int REPEATS = 64;

  /** One task's samples. */
  @State(Scope.Thread)
  public static class Task {
    @Param({KernelBenchmark.TABULAR, KernelBenchmark.SMALL_IMAGES})
    public String data;

    @Param({"float", "double"})
    public String type;

    Shape shape;
    float[][] floats;
    double[][] doubles;

    @Setup
    public void setup() {
      shape = switch (data) {
        case KernelBenchmark.TABULAR -> Shape.of(64);
        case KernelBenchmark.SMALL_IMAGES -> Shape.of(3, 32, 32);
        default -> throw new IllegalArgumentException("unknown data case '" + data + "'");
      };
      if (!type.equals("float") && !type.equals("double")) {
        throw new IllegalArgumentException("unknown type '" + type + "', expected float or double");
      }
      int distinct = ELEMENTS / REPEATS / shape.size();
      Random random = new Random(42);
      int channels = shape.channels();
      int spatial = shape.spatialSize();
      double[] offset = new double[channels];
      double[] spread = new double[channels];
      for (int c = 0; c < channels; c++) {
        offset[c] = 10 * random.nextGaussian();
        spread[c] = 0.5 + 2 * random.nextDouble();
      }
      floats = new float[distinct][shape.size()];
      doubles = new double[distinct][shape.size()];
      for (int s = 0; s < distinct; s++) {
        for (int i = 0; i < shape.size(); i++) {
          int c = i / spatial;
          floats[s][i] = (float) (offset[c] + spread[c] * random.nextGaussian());
          doubles[s][i] = floats[s][i];
        }
      }
    }
  }

  @Benchmark
  public byte[] exact(Task t) {
    ExactMoments moments = new ExactMoments(t.shape);
    for (int r = 0; r < REPEATS; r++) {
      if (t.type.equals("double")) {
        for (double[] sample : t.doubles) {
          moments.update(sample);
        }
      } else {
        for (float[] sample : t.floats) {
          moments.update(sample);
        }
      }
    }
    return moments.toBytes();
  }

  @Benchmark
  public void exactAndSketches(Task t, Blackhole out) {
    ExactMoments moments = new ExactMoments(t.shape);
    ChannelSketches sketches = new ChannelSketches(t.shape);
    for (int r = 0; r < REPEATS; r++) {
      if (t.type.equals("double")) {
        for (double[] sample : t.doubles) {
          moments.update(sample);
          sketches.update(sample);
        }
      } else {
        for (float[] sample : t.floats) {
          moments.update(sample);
          sketches.update(sample);
        }
      }
    }
    out.consume(moments.toBytes());
    out.consume(sketches.toBytes());
  }

  @Benchmark
  public byte[] sketches(Task t) {
    ChannelSketches sketches = new ChannelSketches(t.shape);
    for (int r = 0; r < REPEATS; r++) {
      if (t.type.equals("double")) {
        for (double[] sample : t.doubles) {
          sketches.update(sample);
        }
      } else {
        for (float[] sample : t.floats) {
          sketches.update(sample);
        }
      }
    }
    return sketches.toBytes();
  }

  @Benchmark
  public void kll(Task t, Blackhole out) {
    int channels = t.shape.channels();
    int spatial = t.shape.spatialSize();
    KllDoublesSketch[] sketches = new KllDoublesSketch[channels];
    for (int c = 0; c < channels; c++) {
      sketches[c] = KllDoublesSketch.newHeapInstance(ChannelSketches.DEFAULT_K);
    }
    for (int r = 0; r < REPEATS; r++) {
      if (t.type.equals("double")) {
        for (double[] sample : t.doubles) {
          for (int i = 0; i < sample.length; i++) {
            sketches[i / spatial].update(sample[i]);
          }
        }
      } else {
        for (float[] sample : t.floats) {
          for (int i = 0; i < sample.length; i++) {
            sketches[i / spatial].update(sample[i]);
          }
        }
      }
    }
    for (KllDoublesSketch sketch : sketches) {
      out.consume(sketch.toByteArray());
    }
  }
}
