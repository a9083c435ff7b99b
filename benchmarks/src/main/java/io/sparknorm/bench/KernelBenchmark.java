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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-sample kernels of {@code io.sparknorm.core} on float[], in nanoseconds per element,
 * next to {@code System.arraycopy} of the same arrays (the memory-speed limit).
 *
 * <p>Every invocation processes {@value #ELEMENTS} elements, so with
 * {@code @OperationsPerInvocation(ELEMENTS)} JMH's "ns/op" is ns per element:
 *
 * <ul>
 *   <li>{@code rows64}: tabular rows of shape (64,), {@value #ROWS} rows of 64 per invocation,
 *       each row its own float[64] as a Spark row's array would be;
 *   <li>{@code image3x224x224}: one image of shape (3,224,224) per invocation;
 *   <li>{@code images3x32x32} (the statistics benchmarks only): {@value #IMAGES} images of shape
 *       (3,32,32) per invocation, each its own float[3072].
 * </ul>
 *
 * <p>All cases have the same element count ({@value #ROWS} x 64 = {@value #IMAGES} x 3 x 32 x 32 =
 * 3 x 224 x 224), hence the same input and output bytes (588 KiB each). The output arrays are
 * allocated once, in the setup.
 *
 * <p>Methods: batch norm with given statistics, layer norm (affine per element), instance norm
 * (images only: PyTorch refuses S = 1), group norm (G = 8 for the rows; G = 1 for the images,
 * since C = 3 allows only G = 1 or G = 3 and G = 3 is instance norm), and the batch statistics pass
 * ({@link WelfordMoments#update(float[])} over all samples into fresh moments), beside the exact
 * batch statistics ({@link ExactMoments#update(float[])}, the same for double[] with
 * {@code type=double}). Every normalizer has an affine weight and bias; the kernels apply them either
 * way, so this costs nothing extra.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
// The Vector API module, as Spark's launcher gives every driver and executor: ExactMoments stages with SIMD there.
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "--add-modules=jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@OperationsPerInvocation(KernelBenchmark.ELEMENTS)
public class KernelBenchmark {

  /** Elements per invocation in every case: one 3x224x224 image, IMAGES images of 3x32x32, or ROWS rows of 64. */
  public static final int ELEMENTS = 3 * 224 * 224;
  /** Tabular rows per invocation. */
  public static final int ROWS = ELEMENTS / 64;
  /** Small images per invocation: IMAGES x 3 x 32 x 32 = ELEMENTS. */
  public static final int IMAGES = ELEMENTS / (3 * 32 * 32);

  public static final String TABULAR = "rows64";
  public static final String IMAGE = "image3x224x224";
  public static final String SMALL_IMAGES = "images3x32x32";

  private static final double EPS = Normalizers.DEFAULT_EPS;

  /** The samples, their preallocated outputs and the configured normalizers of one case. */
  public abstract static class Data {
    Shape shape;
    /** The input samples: ROWS rows of 64, IMAGES small images or one image. */
    float[][] in;
    /** The same samples as double[] (exactly the same values). */
    double[][] inDouble;
    /** As many preallocated outputs, written by every benchmark. */
    float[][] out;
    Normalizer batch;
    Normalizer layer;
    Normalizer group;
    /** Null where S = 1. */
    Normalizer instance;

    void init(String data) {
      int samples;
      int groups;
      switch (data) {
        case TABULAR:
          shape = Shape.of(64);
          samples = ROWS;
          groups = 8;
          break;
        case IMAGE:
          shape = Shape.of(3, 224, 224);
          samples = 1;
          groups = 1;
          break;
        case SMALL_IMAGES:
          shape = Shape.of(3, 32, 32);
          samples = IMAGES;
          groups = 1;
          break;
        default:
          throw new IllegalArgumentException(
              "unknown data case '" + data + "', expected " + TABULAR + ", " + IMAGE + " or " + SMALL_IMAGES);
      }
      if (samples * shape.size() != ELEMENTS) {
        throw new IllegalStateException(samples + " samples of " + shape + " are not " + ELEMENTS + " elements");
      }
      Random random = new Random(42);
      int channels = shape.channels();
      // Per-channel offsets and scales, as real features or colour channels have.
      double[] offset = new double[channels];
      double[] spread = new double[channels];
      for (int c = 0; c < channels; c++) {
        offset[c] = 10 * random.nextGaussian();
        spread[c] = 0.5 + 2 * random.nextDouble();
      }
      in = new float[samples][shape.size()];
      out = new float[samples][shape.size()];
      int spatial = shape.spatialSize();
      for (float[] sample : in) {
        for (int i = 0; i < sample.length; i++) {
          int c = i / spatial;
          sample[i] = (float) (offset[c] + spread[c] * random.nextGaussian());
        }
      }

      inDouble = new double[samples][shape.size()];
      for (int s = 0; s < samples; s++) {
        for (int i = 0; i < shape.size(); i++) {
          inDouble[s][i] = in[s][i];
        }
      }

      // Batch norm with the statistics of this very data, as a fitted run would use.
      WelfordMoments moments = new WelfordMoments(shape);
      for (float[] sample : in) {
        moments.update(sample);
      }
      batch = Normalizers.batch(moments.statistics(), EPS, affine(random, channels));
      layer = Normalizers.layer(shape, EPS, affine(random, shape.size()));
      group = Normalizers.group(shape, groups, EPS, affine(random, channels));
      instance = spatial > 1 ? Normalizers.instance(shape, EPS, affine(random, channels)) : null;
    }

    private static Affine affine(Random random, int length) {
      double[] weight = new double[length];
      double[] bias = new double[length];
      for (int i = 0; i < length; i++) {
        weight[i] = 1 + 0.1 * random.nextGaussian();
        bias[i] = 0.1 * random.nextGaussian();
      }
      return Affine.of(weight, bias);
    }
  }

  /** The rows and the large image: every method but instance norm. */
  @State(Scope.Thread)
  public static class AllCases extends Data {
    @Param({TABULAR, IMAGE})
    public String data;

    @Setup
    public void setup() {
      init(data);
    }
  }

  /**
   * The rows, for group norm with G = 32 on C = 64 (segments of two channels) and instance norm on
   * their 64 values as (8, 8) (segments of 8), as the job benchmark runs them.
   */
  @State(Scope.Thread)
  public static class PairCases extends Data {
    @Param({TABULAR})
    public String data;

    Normalizer groupPairs;
    Normalizer instanceRows;

    @Setup
    public void setup() {
      init(data);
      groupPairs = Normalizers.group(shape, shape.channels() / 2, EPS, Affine.none());
      instanceRows = Normalizers.instance(Shape.of(8, shape.size() / 8), EPS, Affine.none());
    }
  }

  /** The cases with S > 1, where instance norm is defined. */
  @State(Scope.Thread)
  public static class SpatialCases extends Data {
    @Param({IMAGE})
    public String data;

    @Setup
    public void setup() {
      init(data);
      if (instance == null) {
        throw new IllegalArgumentException("instance norm needs S > 1, case " + data + " has shape " + shape);
      }
    }
  }

  /** The batch statistics benchmarks: tabular rows, small images and one large image; float or double input. */
  @State(Scope.Thread)
  public static class StatisticsCases extends Data {
    @Param({TABULAR, SMALL_IMAGES, IMAGE})
    public String data;

    @Param({"float", "double"})
    public String type;

    /** The samples one after another, as a column batch's element vector holds them. */
    double[] flatDouble;
    float[] flatFloat;

    @Setup
    public void setup() {
      init(data);
      if (!type.equals("float") && !type.equals("double")) {
        throw new IllegalArgumentException("unknown type '" + type + "', expected float or double");
      }
      int size = shape.size();
      flatDouble = new double[inDouble.length * size];
      flatFloat = new float[in.length * size];
      for (int s = 0; s < in.length; s++) {
        System.arraycopy(inDouble[s], 0, flatDouble, s * size, size);
        System.arraycopy(in[s], 0, flatFloat, s * size, size);
      }
    }
  }

  /** The memory-speed limit: System.arraycopy of the same arrays. */
  @Benchmark
  public float[][] copy(AllCases d) {
    float[][] in = d.in;
    float[][] out = d.out;
    for (int s = 0; s < in.length; s++) {
      System.arraycopy(in[s], 0, out[s], 0, in[s].length);
    }
    return out;
  }

  @Benchmark
  public float[][] batch(AllCases d) {
    return run(d.batch, d.in, d.out);
  }

  @Benchmark
  public float[][] layer(AllCases d) {
    return run(d.layer, d.in, d.out);
  }

  @Benchmark
  public float[][] group(AllCases d) {
    return run(d.group, d.in, d.out);
  }

  /** G = 32 on C = 64: after its warm-up rows, the lanes kernel (SegmentLanes). */
  @Benchmark
  public float[][] groupPairs(PairCases d) {
    return run(d.groupPairs, d.in, d.out);
  }

  /** Instance norm on the rows as (8, 8): with 8 lanes (AVX-512), SegmentLanes after its warm-up rows. */
  @Benchmark
  public float[][] instanceRows(PairCases d) {
    return run(d.instanceRows, d.in, d.out);
  }

  @Benchmark
  public float[][] instance(SpatialCases d) {
    return run(d.instance, d.in, d.out);
  }

  /** The batch statistics pass: every sample folded into fresh per-channel moments (Welford / Chan). */
  @Benchmark
  public WelfordMoments batchStatistics(StatisticsCases d) {
    WelfordMoments moments = new WelfordMoments(d.shape);
    if (d.type.equals("double")) {
      for (double[] sample : d.inDouble) {
        moments.update(sample);
      }
    } else {
      for (float[] sample : d.in) {
        moments.update(sample);
      }
    }
    return moments;
  }

  /**
   * The same pass into exact moments (exact sums of the values and of their squares per channel).
   * The statistics themselves (once per channel, not per value) are not part of it.
   */
  @Benchmark
  public ExactMoments exactStatistics(StatisticsCases d) {
    ExactMoments moments = new ExactMoments(d.shape);
    if (d.type.equals("double")) {
      for (double[] sample : d.inDouble) {
        moments.update(sample);
      }
    } else {
      for (float[] sample : d.in) {
        moments.update(sample);
      }
    }
    return moments;
  }

  /**
   * The same pass as the job's statistics read a column batch: samples one after another, handed
   * over in chunks of 2,048 values (or one sample, if larger).
   */
  @Benchmark
  public ExactMoments exactStatisticsBatched(StatisticsCases d) {
    ExactMoments moments = new ExactMoments(d.shape);
    int size = d.shape.size();
    int chunk = Math.max(1, 2048 / size);
    int samples = d.in.length;
    for (int s = 0; s < samples; s += chunk) {
      int n = Math.min(chunk, samples - s);
      if (d.type.equals("double")) {
        moments.update(d.flatDouble, s * size, n);
      } else {
        moments.update(d.flatFloat, s * size, n);
      }
    }
    return moments;
  }

  private static float[][] run(Normalizer normalizer, float[][] in, float[][] out) {
    for (int s = 0; s < in.length; s++) {
      normalizer.normalize(in[s], out[s]);
    }
    return out;
  }
}
