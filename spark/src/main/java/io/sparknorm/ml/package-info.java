/**
 * sparknorm as Spark ML pipeline stages, with Spark ML's param names and persistence:
 * {@link io.sparknorm.ml.TensorBatchNorm} (an Estimator; its model
 * {@link io.sparknorm.ml.TensorBatchNormModel} also writes the statistics file and the report),
 * {@link io.sparknorm.ml.TensorLayerNorm}, {@link io.sparknorm.ml.TensorInstanceNorm} and
 * {@link io.sparknorm.ml.TensorGroupNorm} (Transformers). These stages are the API; they run
 * through {@code io.sparknorm.spark}.
 *
 * <p>Public because Spark ML reaches them by reflection (params found among a stage's public
 * methods, stages copied and loaded by class name): the params interfaces
 * {@link io.sparknorm.ml.TensorNormParams} and {@link io.sparknorm.ml.BatchNormParams} and the
 * stages' superclass {@link io.sparknorm.ml.PerSampleNorm} (its constructor is the package's).
 * {@code NormParams} and {@code KeyParams} are public only because those interfaces' methods name
 * them: internal, not part of the API. Everything else here is package-private.
 *
 * <p>The only package that needs spark-mllib (a {@code provided} dependency of the library, as
 * Spark's distributions ship it): the SQL functions, the DataFrame library and the report load no
 * Spark ML class.
 */
package io.sparknorm.ml;
