package io.sparknorm.report;

import java.util.Arrays;

/**
 * Per-element statistics of image-shaped samples (C, H, W): the mean and the standard deviation of every element of
 * the flattened sample over all rows, C x H x W values each in the sample's order. The page draws them as one mean and
 * one std picture per channel.
 */
public record ElementImages(double[] mean, double[] std) {
  public ElementImages {
    if (mean == null || std == null || mean.length != std.length) {
      throw new IllegalArgumentException("element images need a mean and a std of the same length; got "
          + (mean == null ? "null" : mean.length) + " and " + (std == null ? "null" : std.length));
    }
    mean = mean.clone();
    std = std.clone();
  }

  @Override
  public double[] mean() {
    return mean.clone();
  }

  @Override
  public double[] std() {
    return std.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ElementImages e && Arrays.equals(mean, e.mean) && Arrays.equals(std, e.std);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
  }

  @Override
  public String toString() {
    return "ElementImages[" + mean.length + " elements]";
  }
}
