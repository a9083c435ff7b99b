/**
 * sparknorm without Spark: PyTorch's normalizations of one flat sample, and batch norm's statistics
 * computed exactly (the same bits however the data is split, ordered and merged). Plain Java; the
 * Spark library ({@code io.sparknorm.sql}, {@code .spark}, {@code .ml}, {@code .report}) is built
 * on it.
 *
 * <p>The API:
 * <ul>
 *   <li>normalizing: {@link io.sparknorm.core.Normalizers} (PyTorch's rules and defaults) builds a
 *       {@link io.sparknorm.core.Normalizer} for a {@link io.sparknorm.core.Shape}, an
 *       {@link io.sparknorm.core.Affine} and a {@link io.sparknorm.core.NormMethod};
 *       {@link io.sparknorm.core.NonFiniteResultException} when a result would not be finite;
 *   <li>statistics: {@link io.sparknorm.core.ExactMoments} (the exact, mergeable state) gives
 *       {@link io.sparknorm.core.BatchStatistics}; {@link io.sparknorm.core.RunningStatistics} are
 *       PyTorch's running mean and variance;
 *   <li>what the report is drawn from: {@link io.sparknorm.core.ChannelSketches} (mergeable
 *       per-channel sketches), {@link io.sparknorm.core.SketchHistogram},
 *       {@link io.sparknorm.core.ChannelSummary} and {@link io.sparknorm.core.ChannelFlags};
 *   <li>{@link io.sparknorm.core.SparknormVersion}: the build's version.
 * </ul>
 *
 * <p>Public building blocks of those, not needed by a caller: {@link io.sparknorm.core.ExactSum},
 * {@link io.sparknorm.core.CentralMoments} and {@link io.sparknorm.core.Peaks}. (The floating-point
 * moments the kernel benchmark compares the exact ones against live in benchmarks/.) The kernels (moments stages, segment normalizers, lanes) are package-private.
 */
package io.sparknorm.core;
