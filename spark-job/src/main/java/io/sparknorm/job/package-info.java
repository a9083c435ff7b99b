/**
 * The command line job ({@code spark-job/target/sparknorm-job.jar}, picocli): reads a file or
 * folder, normalizes it through the library ({@code io.sparknorm.spark}) and writes the result,
 * the statistics file and the report, all or nothing.
 *
 * <p>Public: {@link io.sparknorm.job.NormalizeJob} (the jar's Main-Class; {@code run} runs it in an
 * existing JVM and session, as notebooks and tests do) and {@link io.sparknorm.job.RunSql} (SQL
 * statements with sparknorm's functions, without Spark's Hive-based shell). Everything else here is
 * package-private: the command line is the API.
 */
package io.sparknorm.job;
