package io.sparknorm.spark;

import io.sparknorm.core.RunningStatistics;

/**
 * What {@link MiniBatchReplay#normalize} returns.
 *
 * @param result the normalized frame (the input's columns with the normalized one, lazy) and its
 *     row counts, as {@link TensorNormalization#normalize} gives them; its
 *     {@link NormalizationResult#statistics() statistics} are the final running ones
 *     ({@link RunningStatistics#toStatistics()})
 * @param running the running statistics after the last mini-batch (PyTorch's {@code running_mean},
 *     {@code running_var}; {@link RunningStatistics#batches()} counts only this replay's batches: PyTorch's
 *     {@code num_batches_tracked} is that plus the count of the state it started from, as the job writes it)
 * @param batches the number of mini-batches
 * @param rows the rows replayed: every row with {@code error}, the valid rows with {@code skip} and
 *     {@code keep}
 */
public record ReplayResult(NormalizationResult result, RunningStatistics running, long batches, long rows) {}
