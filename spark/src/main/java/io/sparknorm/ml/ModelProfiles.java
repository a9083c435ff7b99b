package io.sparknorm.ml;

import io.sparknorm.core.ProfileSet;
import io.sparknorm.spark.StatisticsProfiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * What {@link TensorBatchNormModel} does with its profile on disk: {@code PATH/profile.json}, the
 * profile file of {@link StatisticsProfiles#write} (the job's {@code --profile-out} form), next to
 * the params and the statistics. A model saved without one (given statistics, or saved before
 * profiles existed) has no such file and loads without a profile.
 */
final class ModelProfiles {
  /** The file in the model's folder. */
  static final String FILE = "profile.json";

  private ModelProfiles() {}

  static void save(ProfileSet profile, String path, Configuration conf) {
    if (profile != null) {
      StatisticsProfiles.write(profile, new Path(path, FILE).toString(), conf);
    }
  }

  /** The profile saved with the model at {@code path}, or null when it was saved without one. */
  static ProfileSet load(String path, Configuration conf) {
    Path file = new Path(path, FILE);
    try {
      if (!file.getFileSystem(conf).exists(file)) {
        return null;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not read " + file, e);
    }
    return StatisticsProfiles.read(file.toString(), conf);
  }
}
