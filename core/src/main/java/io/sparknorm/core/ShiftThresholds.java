package io.sparknorm.core;

/**
 * The thresholds of the shift flags, each with why it is what it is (measured on the no-shift and
 * planted-shift data of the tests). TODO: filled in by the implementation.
 */
public final class ShiftThresholds {
  private ShiftThresholds() {}
}
