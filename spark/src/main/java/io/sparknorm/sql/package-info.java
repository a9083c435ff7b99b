/**
 * sparknorm in Spark SQL: layer, instance, group and batch norm and batch norm's statistics as SQL
 * functions ({@code layer_norm}, {@code instance_norm}, {@code group_norm}, {@code batch_norm},
 * their {@code try_} twins, the aggregate {@code batch_norm_stats}), each a Catalyst expression
 * over the core's normalizers, checked against PyTorch's rules when the query is analyzed; and
 * covariate shift: the aggregate {@code tensor_profile} (a profile's JSON) and {@code profile_shift}
 * (two profiles compared).
 *
 * <p>The API:
 * <ul>
 *   <li>{@link io.sparknorm.sql.SparknormExtensions}: named in {@code spark.sql.extensions}, it
 *       registers the functions in every session;
 *   <li>{@link io.sparknorm.sql.functions}: the same functions as DataFrame {@code Column}s, called
 *       by name (so they work on a Spark Connect client too);
 *   <li>{@link io.sparknorm.sql.InvalidTensorException}: what a query fails with on an invalid
 *       tensor;
 *   <li>{@link io.sparknorm.sql.StreamingInputException}: what work that needs all of its input
 *       (batch_norm_stats over a whole stream, fitting, a report) is refused with on a stream.
 * </ul>
 *
 * <p>Internal, public only because Java leaves no other way: {@code io.sparknorm.spark} builds the
 * same expressions for its DataFrame API, and Spark's generated code calls the scalar functions'
 * {@code invoke}. Not part of the API; they may change in any release: {@code NormalizeFunction}
 * (with {@code NormalizeFunction.NormalizerSource}), {@code TensorCheckFunction},
 * {@code BatchNormStatsFunction}, {@code ChannelSketchesFunction}, {@code ProfileShiftFunction}, {@code SqlFunctions},
 * {@code StatisticsStruct} and {@code TensorReader}. Everything else here is package-private.
 *
 * <p>Needs spark-sql only: no class here names a Spark ML class (a Spark ML vector column is
 * recognized by its type's class name), so a session without spark-mllib runs every function
 * ({@code MllibFreeTest} checks the bytecode).
 */
package io.sparknorm.sql;
