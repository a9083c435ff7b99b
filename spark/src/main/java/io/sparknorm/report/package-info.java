/**
 * The statistics report: one self-contained HTML page (no network) of every channel's histograms
 * before and after normalizing, statistics, quantiles and flags. Knows nothing of Spark:
 * {@code io.sparknorm.spark.StatisticsReport} and {@code TensorBatchNormModel.report} fill it in.
 *
 * <p>The API: {@link io.sparknorm.report.Report}, {@link io.sparknorm.report.ChannelReport},
 * {@link io.sparknorm.report.ChannelHistogram} and {@link io.sparknorm.report.Flag} (what the page
 * shows, values a caller may also build by hand) and {@link io.sparknorm.report.HtmlReport} (the
 * page drawn). Everything else here is package-private.
 */
package io.sparknorm.report;
