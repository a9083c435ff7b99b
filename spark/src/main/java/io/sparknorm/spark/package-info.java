/**
 * The DataFrame library: normalizing a tensor column of a {@code Dataset<Row>} as one logical plan,
 * batch norm's statistics fitted in one pass (per key too) and replayed over mini-batches, the
 * statistics file, the statistics report, and covariate shift (profiles and their comparison). Built on the expressions of {@code io.sparknorm.sql};
 * the job ({@code io.sparknorm.job}) and the ML stages ({@code io.sparknorm.ml}) call it.
 *
 * <p>The API:
 * <ul>
 *   <li>{@link io.sparknorm.spark.TensorNormalization}: normalize, fit statistics (over all rows, per
 *       key, counting rows), infer the shape, the output schema, a failure described for a user;
 *   <li>{@link io.sparknorm.spark.NormalizeSpec}, with {@link io.sparknorm.spark.HandleInvalid} and
 *       {@link io.sparknorm.spark.UnseenKey}: what to normalize and how;
 *   <li>{@link io.sparknorm.spark.NormalizationResult} (with its {@code Counts}),
 *       {@link io.sparknorm.spark.KeyedStatistics}, {@link io.sparknorm.spark.CountedStatistics}: what
 *       comes back;
 *   <li>{@link io.sparknorm.spark.MiniBatchReplay} and {@link io.sparknorm.spark.ReplayResult}:
 *       PyTorch's training mode replayed over mini-batches, with running statistics;
 *   <li>{@link io.sparknorm.spark.StatisticsFiles}: the statistics file, read and written on any
 *       Hadoop file system; {@link io.sparknorm.spark.JsonFiles#readAffine}: the affine file;
 *   <li>{@link io.sparknorm.spark.StatisticsReport}: the HTML report ({@code io.sparknorm.report}) of
 *       a normalization, computed in one pass, or built from sketches that
 *       {@link io.sparknorm.spark.SketchColumns} observed on a caller's own passes;
 *       {@link io.sparknorm.spark.RowCount}: a frame's rows counted by the action that reads it;
 *   <li>{@link io.sparknorm.spark.StatisticsProfiles}: covariate shift, a frame's profile (in the
 *       statistics' own pass for batch norm), its comparison with a reference profile, and the profile
 *       and shift files.
 * </ul>
 *
 * <p>Internal, public only for {@code io.sparknorm.ml} (a model's persistence, and the one check that
 * a stream is not asked for work that reads the whole input): {@code StatisticsRows}, {@code BatchInput}.
 * Everything else here is package-private.
 */
package io.sparknorm.spark;
