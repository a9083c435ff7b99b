package io.sparknorm.job;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.Shape;
import io.sparknorm.spark.NormalizeSpec;
import io.sparknorm.spark.StatisticsFiles;

/** What a {@code --stats-in} file gives the spec, for the batch job and the stream alike. */
final class GivenStatistics {
  private GivenStatistics() {}

  /**
   * The --stats-in file into the spec: statistics per key with --by, the running statistics to
   * start from with --batch-size, else the statistics to normalize with. Returns their shape.
   * A file's shape of more than the channels (C, D1, ..) is the sample shape it holds; (C,) fits any.
   */
  static Shape apply(JobOptions options, NormalizeSpec spec, StatisticsFiles.Contents file) {
    String name = options.statsIn;
    Shape stated = file.shape();
    if (stated != null && stated.dims().length > 1 && spec.shape() != null && !stated.equals(spec.shape())) {
      throw new IllegalArgumentException("stats-in file " + name + ": shape is " + stated + ", but --shape is "
          + spec.shape());
    }
    BatchStatistics given = file.statistics();
    if (options.by != null) {
      if (file.keyed() == null) {
        throw new IllegalArgumentException("stats-in file " + name + " has no statistics per key ('by' and 'keys');"
            + " write one with --by and --stats-out");
      }
      spec.keyedStatistics(file.keyed());
      given = file.keyed().global() != null ? file.keyed().global()
          : file.keyed().entries().isEmpty() ? null : file.keyed().entries().get(0).statistics();
      if (given == null) {
        throw new IllegalArgumentException("stats-in file " + name + " has no key and no statistics over all rows");
      }
    } else if (options.batchSize != null && file.runningMean() != null && file.runningVar() != null) {
      given = JobStatistics.startingPoint(file);
      spec.statistics(given);
    } else {
      if (given == null) {
        throw new IllegalArgumentException("stats-in file " + name + ": the key 'mean' is missing");
      }
      spec.statistics(given);
    }
    Shape shape = given.shape();
    if (spec.shape() != null && spec.shape().channels() != shape.channels()) {
      throw new IllegalArgumentException("stats-in file " + name + " has statistics of " + shape.channels()
          + " channels but --shape " + spec.shape() + " has " + spec.shape().channels());
    }
    return shape;
  }
}
