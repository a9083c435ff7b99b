package io.sparknorm.core;

/**
 * One clear mode of a channel's distribution ({@link Peaks#modes}): the value at its peak, the range
 * of values its basin covers [lo, hi] (from the dip towards the previous mode, or the channel's min,
 * to the dip towards the next, or the max), and the fraction of the channel's finite values in it.
 */
public record Mode(double location, double lo, double hi, double mass) {}
