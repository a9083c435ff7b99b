/**
 * The statistics report: one self-contained HTML page (no network) of every channel's histograms
 * before and after normalizing, statistics, quantiles and flags; pictures of image-shaped data;
 * and, when the data was compared with a reference profile, the comparison. Knows nothing of Spark:
 * {@code io.sparknorm.spark.StatisticsReport} and {@code TensorBatchNormModel.report} fill it in.
 *
 * <p>The API: {@link io.sparknorm.report.Report}, {@link io.sparknorm.report.ChannelReport},
 * {@link io.sparknorm.report.ChannelHistogram}, {@link io.sparknorm.report.ChannelShiftReport},
 * {@link io.sparknorm.report.ElementImages} and {@link io.sparknorm.report.Flag} (what the page
 * shows, values a caller may also build by hand) and {@link io.sparknorm.report.HtmlReport} (the
 * page drawn). Everything else here is package-private.
 */
package io.sparknorm.report;
