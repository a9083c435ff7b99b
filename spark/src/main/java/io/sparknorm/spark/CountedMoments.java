package io.sparknorm.spark;

import io.sparknorm.core.ExactMoments;

/**
 * Batch norm's exact moments (count and exact sums, nothing rounded) of the valid rows, with the number of rows their
 * one pass read, valid or not.
 */
public record CountedMoments(ExactMoments moments, long rows) {}
