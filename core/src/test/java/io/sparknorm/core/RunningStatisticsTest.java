package io.sparknorm.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparknorm.core.GoldenFiles.Replay;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Running statistics over mini-batches against PyTorch's replay goldens (the core alone: each
 * batch fitted with {@link ExactMoments}, as the Spark aggregate does), and the constructor that
 * starts from given values.
 */
class RunningStatisticsTest {

  static List<Replay> replays() {
    return GoldenFiles.replay().stream().filter(r -> r.torchError() == null).toList();
  }

  static List<Replay> refusedReplays() {
    return GoldenFiles.replay().stream().filter(r -> r.torchError() != null).toList();
  }

  /** Float64 running values within a few ulps of PyTorch's (its update formula, in its order). */
  static final double F64_RUNNING_RELATIVE = 4e-15;

  @Test
  void theReplayGoldensCoverWhatTheyShould() {
    List<Replay> all = GoldenFiles.replay();
    assertTrue(all.size() >= 8, "replay goldens: " + all.size());
    assertTrue(all.stream().anyMatch(r -> !r.isDouble()), "a float32 replay");
    assertTrue(all.stream().anyMatch(r -> r.momentum() != 0.1 && !Arrays.equals(r.initialRunningVar(),
        ones(r.shape().channels()))), "a replay with another momentum from given running statistics");
    assertTrue(all.stream().anyMatch(r -> r.torchError() == null && r.rows().length % r.batchSize() != 0),
        "a replay whose last batch is smaller");
    assertTrue(all.stream().anyMatch(r -> r.torchError() == null && r.batches() == 1), "a replay of one batch");
    assertTrue(refusedReplays().size() >= 1, "a replay PyTorch refuses");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("replays")
  void replayMatchesPyTorchBatchByBatch(Replay r) {
    RunningStatistics running = new RunningStatistics(r.shape(), r.momentum(), r.initialRunningMean(),
        r.initialRunningVar());
    for (int b = 0; b < r.batches(); b++) {
      double[][] batch = Arrays.copyOfRange(r.rows(), b * r.batchSize(), Math.min(r.rows().length,
          (b + 1) * r.batchSize()));
      BatchStatistics statistics = GoldenCasesTest.fit(r.shape(), batch, r.isDouble());
      GoldenCasesTest.assertMatches(slice(r.outputs(), b, r.batchSize()), slice(r.exactOutputs(), b, r.batchSize()),
          Normalizers.batch(statistics, r.eps(), r.affine()), batch, r.isDouble(), r.tolerance(), r.name() + " batch " + b);
      running.update(statistics);
      assertRunning(r, r.runningMean().get(b), running.runningMean(), "running_mean after batch " + b);
      assertRunning(r, r.runningVar().get(b), running.runningVar(), "running_var after batch " + b);
    }
    assertEquals(r.numBatchesTracked(), running.batches(), "num_batches_tracked");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedReplays")
  void refusesTheBatchPyTorchRefuses(Replay r) {
    assertTrue(r.torchError().contains("Expected more than 1 value per channel when training"), r.torchError());
    int b = r.errorBatch();
    assertEquals(r.batches() - 1, b, "the last batch is the one refused");
    double[][] batch = Arrays.copyOfRange(r.rows(), b * r.batchSize(), r.rows().length);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GoldenCasesTest.fit(r.shape(), batch, r.isDouble()));
    assertTrue(e.getMessage().contains("more than 1 value per channel"), e.getMessage());
  }

  @Test
  void startsFromGivenValuesAndMovesByMomentum() {
    Shape shape = Shape.of(2);
    RunningStatistics running = new RunningStatistics(shape, 0.25, new double[] {4, -2}, new double[] {9, 0.5});
    assertArrayEquals(new double[] {4, -2}, running.runningMean());
    assertArrayEquals(new double[] {9, 0.5}, running.runningVar());
    assertEquals(0, running.batches());
    // batch {0, 0}, {2, 4}: mean 1 and 2, unbiased variance 2 and 8
    BatchStatistics batch = new ExactMoments(shape).update(new double[] {0, 0}).update(new double[] {2, 4}).statistics();
    running.update(batch);
    assertArrayEquals(new double[] {0.25 * 1 + 0.75 * 4, 0.25 * 2 + 0.75 * -2}, running.runningMean());
    assertArrayEquals(new double[] {0.25 * 2 + 0.75 * 9, 0.25 * 8 + 0.75 * 0.5}, running.runningVar());
    assertEquals(1, running.batches());
    assertEquals(2, running.toStatistics().mean().length);

    // momentum 0 keeps the start, 1 takes each batch's values
    RunningStatistics still = new RunningStatistics(shape, 0, new double[] {4, -2}, new double[] {9, 0.5});
    still.update(batch);
    assertArrayEquals(new double[] {4, -2}, still.runningMean());
    RunningStatistics follows = new RunningStatistics(shape, 1, new double[] {4, -2}, new double[] {9, 0.5});
    follows.update(batch);
    assertArrayEquals(batch.mean(), follows.runningMean());
    assertArrayEquals(batch.unbiasedVariance(), follows.runningVar());
  }

  @Test
  void theNewModuleStartIsZeroAndOne() {
    RunningStatistics running = new RunningStatistics(Shape.of(3, 4), 0.1);
    assertArrayEquals(new double[3], running.runningMean());
    assertArrayEquals(ones(3), running.runningVar());
  }

  @Test
  void refusesStartingValuesThatBreakARule() {
    Shape shape = Shape.of(2);
    double[] two = {0, 1};
    assertEquals("running mean has 3 values, the shape has 2 channels", assertThrows(IllegalArgumentException.class,
        () -> new RunningStatistics(shape, 0.1, new double[3], two)).getMessage());
    assertEquals("running var has no values, the shape has 2 channels", assertThrows(IllegalArgumentException.class,
        () -> new RunningStatistics(shape, 0.1, two, null)).getMessage());
    assertEquals("running mean[1] is NaN, must be finite", assertThrows(IllegalArgumentException.class,
        () -> new RunningStatistics(shape, 0.1, new double[] {0, Double.NaN}, two)).getMessage());
    assertEquals("running var[0] is -1.0, must be finite and >= 0", assertThrows(IllegalArgumentException.class,
        () -> new RunningStatistics(shape, 0.1, two, new double[] {-1, 1})).getMessage());
    assertEquals("running var[1] is Infinity, must be finite and >= 0", assertThrows(IllegalArgumentException.class,
        () -> new RunningStatistics(shape, 0.1, two, new double[] {1, Double.POSITIVE_INFINITY})).getMessage());
    for (double momentum : new double[] {-0.1, 1.5, Double.NaN}) {
      assertEquals("momentum is " + momentum + ", must be in [0, 1]", assertThrows(IllegalArgumentException.class,
          () -> new RunningStatistics(shape, momentum, two, two)).getMessage());
    }
  }

  @Test
  void theGivenArraysAreCopied() {
    double[] mean = {1, 2};
    double[] var = {3, 4};
    RunningStatistics running = new RunningStatistics(Shape.of(2), 0.1, mean, var);
    mean[0] = 100;
    var[0] = 100;
    assertArrayEquals(new double[] {1, 2}, running.runningMean());
    assertArrayEquals(new double[] {3, 4}, running.runningVar());
  }

  /** Float64: a few ulps of PyTorch's; float32 (whose update PyTorch does in float): 1e-5. */
  private static void assertRunning(Replay r, double[] torch, double[] actual, String what) {
    for (int c = 0; c < torch.length; c++) {
      double allowed = r.isDouble() ? F64_RUNNING_RELATIVE * Math.abs(torch[c]) : r.tolerance();
      assertEquals(torch[c], actual[c], allowed, r.name() + " " + what + " channel " + c);
    }
  }

  private static double[][] slice(double[][] rows, int batch, int batchSize) {
    return rows == null ? null
        : Arrays.copyOfRange(rows, batch * batchSize, Math.min(rows.length, (batch + 1) * batchSize));
  }

  private static double[] ones(int n) {
    double[] ones = new double[n];
    Arrays.fill(ones, 1.0);
    return ones;
  }
}
