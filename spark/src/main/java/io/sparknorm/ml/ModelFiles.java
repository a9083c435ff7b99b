package io.sparknorm.ml;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.ProfileSet;
import io.sparknorm.spark.KeyedStatistics;
import io.sparknorm.spark.StatisticsProfiles;
import io.sparknorm.spark.StatisticsRows;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.util.DefaultParamsReadable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Row;

/**
 * {@link TensorBatchNormModel}'s folder, as Spark ML persistence writes and reads it:
 * <ul>
 *   <li>{@code metadata}: the params, as every default-persisted stage writes them;
 *   <li>{@code data}: the statistics over all rows, one Parquet row of {@code batch_norm_stats}' struct type
 *       (none only for given statistics per key without them);
 *   <li>{@code keys}: the statistics per key, when the model has them ({@link KeyedModels});
 *   <li>{@code profile.json}: the profile of the fitted data, when the model has one: the profile file of
 *       {@link StatisticsProfiles#write} (the job's {@code --profile-out} form). A folder saved without it (given
 *       statistics, or saved before models kept profiles) loads without a profile.
 * </ul>
 */
final class ModelFiles {
  /** The profile's file in the model's folder. */
  static final String PROFILE = "profile.json";

  private ModelFiles() {}

  static final class Writer extends MLWriter {
    private final TensorBatchNormModel model;

    Writer(TensorBatchNormModel model) {
      this.model = model;
    }

    @Override
    public void saveImpl(String path) {
      try {
        model.paramsWriter().session(sparkSession()).save(path);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      BatchStatistics global = model.globalOrNull();
      List<Row> rows = global == null ? List.of() : List.of(StatisticsRows.toRow(global));
      sparkSession().createDataFrame(rows, StatisticsRows.schema()).coalesce(1).write()
          .parquet(new Path(path, "data").toString());
      if (model.keyedStatistics() != null) {
        KeyedModels.save(sparkSession(), model.keyedStatistics(), path);
      }
      if (model.profile() != null) {
        StatisticsProfiles.write(model.profile(), new Path(path, PROFILE).toString(),
            sparkSession().sparkContext().hadoopConfiguration());
      }
    }
  }

  static final class Reader extends MLReader<TensorBatchNormModel> {
    @Override
    public TensorBatchNormModel load(String path) {
      TensorBatchNormModel model = new DefaultParamsReadable<TensorBatchNormModel>() {}.read().session(sparkSession())
          .load(path);
      List<Row> rows = sparkSession().read().parquet(new Path(path, "data").toString()).collectAsList();
      BatchStatistics global = rows.isEmpty() ? null : StatisticsRows.fromRow(rows.get(0));
      KeyedStatistics keyed = KeyedModels.load(sparkSession(), path, global, model.getGroupCols());
      return model.restore(global, keyed, profile(path, sparkSession().sparkContext().hadoopConfiguration()));
    }
  }

  /** The profile saved with the model at {@code path}, or null when it was saved without one. */
  private static ProfileSet profile(String path, Configuration conf) {
    Path file = new Path(path, PROFILE);
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
