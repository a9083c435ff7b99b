package io.sparknorm.bench;

import io.sparknorm.core.ChannelProfile;
import io.sparknorm.core.CovariateShift;
import io.sparknorm.core.ProfileSet;
import io.sparknorm.core.Shape;
import io.sparknorm.core.ShiftResult;
import io.sparknorm.core.StatisticsProfile;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The driver's side of {@code --shift-from} for {@value #CHANNELS} channels (the target: under one
 * second), in milliseconds: {@code compare}, {@link CovariateShift#compare(StatisticsProfile,
 * StatisticsProfile)} of two profiles (every figure and flag of every channel); {@code toJson} and
 * {@code fromJson}, the profile file written and read ({@link ProfileSet}). Each channel's KLL
 * sketch (k = 200) holds 2,000 to 20,000 seeded values of a mixture of one to three normal modes
 * six standard deviations apart, and the profile those modes; the data now has every fourth channel's
 * mean moved by half a standard deviation.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class ShiftBenchmark {
  public static final int CHANNELS = 10_000;

  StatisticsProfile reference;
  StatisticsProfile now;
  String json;

  @Setup
  public void setup() {
    reference = profile(1, 0);
    now = profile(2, 0.5);
    json = ProfileSet.of(reference).toJson();
  }

  /** A profile of CHANNELS channels; every fourth channel's values moved by shift standard deviations. */
  static StatisticsProfile profile(long seed, double shift) {
    SplittableRandom r = new SplittableRandom(seed);
    List<ChannelProfile> channels = new ArrayList<>(CHANNELS);
    for (int c = 0; c < CHANNELS; c++) {
      SplittableRandom channel = new SplittableRandom(c); // the same mixture in both profiles
      int modes = 1 + channel.nextInt(3);
      double location = 10 * channel.nextDouble();
      double moved = c % 4 == 0 ? shift : 0;
      int n = 2_000 + r.nextInt(18_001);
      KllDoublesSketch sketch = KllDoublesSketch.newHeapInstance(200);
      double sum = 0;
      double sumSquares = 0;
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < n; i++) {
        double x = location + 6 * r.nextInt(modes) + r.nextGaussian() + moved;
        sketch.update(x);
        sum += x;
        sumSquares += x * x;
        min = Math.min(min, x);
        max = Math.max(max, x);
      }
      double mean = sum / n;
      double var = Math.max(0, sumSquares / n - mean * mean);
      List<io.sparknorm.core.Mode> found = new ArrayList<>();
      for (int m = 0; m < modes; m++) {
        double lo = m == 0 ? min : location + 6 * m - 3;
        double hi = m == modes - 1 ? max : location + 6 * m + 3;
        double mass = sketch.getRank(hi) - sketch.getRank(lo);
        found.add(new io.sparknorm.core.Mode(location + 6 * m, lo, hi, mass));
      }
      channels.add(new ChannelProfile(c, n, n, 0, 0, 0, mean, var, min, max, found, sketch, 3));
    }
    return new StatisticsProfile(Shape.of(CHANNELS), 200, false, channels);
  }

  @Benchmark
  public ShiftResult compare() {
    return CovariateShift.compare(reference, now);
  }

  @Benchmark
  public String toJson() {
    return ProfileSet.of(reference).toJson();
  }

  @Benchmark
  public ProfileSet fromJson() {
    return ProfileSet.fromJson(json);
  }
}
