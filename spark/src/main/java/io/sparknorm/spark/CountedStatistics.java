package io.sparknorm.spark;

import io.sparknorm.core.BatchStatistics;

/**
 * Batch norm's statistics with the number of rows their one pass read, valid or not: what the
 * job's {@code --stats-only} reports without a second pass.
 */
public record CountedStatistics(BatchStatistics statistics, long rows) {}
