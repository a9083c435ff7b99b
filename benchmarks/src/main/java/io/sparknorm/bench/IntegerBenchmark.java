package io.sparknorm.bench;

import io.sparknorm.core.Affine;
import io.sparknorm.core.ExactMoments;
import io.sparknorm.core.Normalizer;
import io.sparknorm.core.Normalizers;
import io.sparknorm.core.Shape;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What exact integer input costs on rows of 64 (ns per element): longs beyond 2^53 (nanosecond
 * timestamps), which go into the exact sums as integers and are normalized relative to an integer
 * pivot, beside the same rows' offsets from their first value as doubles, the path every int and
 * every long within 2^53 takes.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
@OperationsPerInvocation(IntegerBenchmark.ELEMENTS)
@State(Scope.Thread)
public class IntegerBenchmark {
  static final int ROWS = 2048;
  static final int ELEMENTS = ROWS * 64;

  private final Shape shape = Shape.of(64);
  private long[][] longs;
  private double[][] doubles;
  private double[][] out;
  private Normalizer layer;
  private Normalizer batch;

  @Setup
  public void setup() {
    Random random = new Random(30);
    longs = new long[ROWS][64];
    doubles = new double[ROWS][64];
    out = new double[ROWS][64];
    for (int r = 0; r < ROWS; r++) {
      for (int i = 0; i < 64; i++) {
        longs[r][i] = 1_733_500_000_000_000_000L + (long) (1e9 * random.nextDouble());
        doubles[r][i] = longs[r][i] - longs[r][0];
      }
    }
    layer = Normalizers.layer(shape, 1e-5, Affine.none());
    ExactMoments moments = new ExactMoments(shape);
    for (long[] row : longs) {
      moments.update(row);
    }
    batch = Normalizers.batch(moments.statistics(), 1e-5, Affine.none());
  }

  @Benchmark
  public double[][] layerLongs() {
    for (int r = 0; r < ROWS; r++) {
      layer.normalize(longs[r], out[r]);
    }
    return out;
  }

  @Benchmark
  public double[][] layerDoubles() {
    for (int r = 0; r < ROWS; r++) {
      layer.normalize(doubles[r], out[r]);
    }
    return out;
  }

  @Benchmark
  public double[][] batchLongs() {
    for (int r = 0; r < ROWS; r++) {
      batch.normalize(longs[r], out[r]);
    }
    return out;
  }

  @Benchmark
  public double[][] batchDoubles() {
    for (int r = 0; r < ROWS; r++) {
      batch.normalize(doubles[r], out[r]);
    }
    return out;
  }

  @Benchmark
  public ExactMoments exactStatisticsLongs() {
    ExactMoments moments = new ExactMoments(shape);
    for (long[] row : longs) {
      moments.update(row);
    }
    return moments;
  }

  @Benchmark
  public ExactMoments exactStatisticsDoubles() {
    ExactMoments moments = new ExactMoments(shape);
    for (double[] row : doubles) {
      moments.update(row);
    }
    return moments;
  }
}
