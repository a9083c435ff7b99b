package io.sparknorm.spark;

import io.sparknorm.core.BatchStatistics;
import io.sparknorm.core.ChannelSketches;
import io.sparknorm.core.ExactMoments;
import io.sparknorm.core.NormMethod;
import io.sparknorm.core.ProfileSet;
import io.sparknorm.core.Shape;
import io.sparknorm.core.StatisticsException;
import io.sparknorm.core.StatisticsProfile;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * The one aggregation behind {@link StatisticsProfiles}: the input's {@link ChannelSketches} (of the
 * valid rows, {@link SketchColumns#ofInput}), the rows read, and, where batch norm fits, the exact
 * states of {@code batch_norm_stats} beside them, so the profile's mean and variance are the
 * statistics' bits. With key columns it is a {@code groupBy(keys).agg} of the same columns; the
 * profile over all rows is then merged on the driver from the keys' sketches and exact states (in
 * key order), so the data is read once: its exact moments, hence the statistics over all rows, are
 * the same bits as without keys; its sketches are a merge of the keys' sketches (KLL's estimate of
 * the same quantiles, counts, min and max exact).
 */
final class ProfilePass {
  /**
   * What the pass gives: batch norm's statistics when it fitted them (else null), per key when keyed
   * (else null), the profile and the rows read (valid or not).
   */
  record Result(BatchStatistics statistics, KeyedStatistics keyed, ProfileSet profile, long rows) {}

  private static final String TOO_FEW = "batch norm needs more than 1 value per channel, got ";

  private ProfilePass() {}

  /**
   * Runs the pass. With {@code fit} the spec is batch norm's to fit: its statistics come out, scaled
   * by the spec's statistics scale, and PyTorch's rule of more than one value per channel (per key)
   * is enforced; without, exact moments are added for batch norm without given statistics only, and
   * a population with at most one value gets the sketches' moments instead of failing.
   */
  static Result run(Dataset<Row> input, NormalizeSpec spec, boolean fit) {
    ResolvedSpec resolved = ResolvedSpec.of(input.schema(), spec);
    return resolved.inColumn(() -> {
      Shape shape = resolved.shapeOf(input);
      boolean exact = fit || spec.method() == NormMethod.BATCH && spec.statistics() == null
          && spec.keyedStatistics() == null;
      List<Column> columns = new ArrayList<>();
      columns.add(SketchColumns.ofInput(input.schema(), spec, shape).as("sketches"));
      columns.add(functions.count(functions.lit(1)).as("rows"));
      if (exact) {
        columns.add(StatisticsFit.statesColumn(resolved.tensor(), shape, resolved.failOnInvalid(),
            resolved.context(shape)).as("states"));
      }
      Column first = columns.get(0);
      Column[] rest = columns.subList(1, columns.size()).toArray(new Column[0]);
      if (resolved.keys() == null) {
        Row row = input.agg(first, rest).first();
        ExactMoments moments = exact ? moments(row, shape) : null;
        BatchStatistics statistics = fit ? checked(moments, shape, null, spec.statisticsScale()) : null;
        StatisticsProfile profile = StatisticsProfile.of(ChannelSketches.fromBytes((byte[]) row.get(0)),
            exactStatistics(moments, statistics, spec));
        return new Result(statistics, null, ProfileSet.of(profile), row.getLong(1));
      }
      List<String> keys = resolved.keys();
      List<Row> rows = input.groupBy(keys.stream().map(TensorColumn::quoted).toArray(Column[]::new))
          .agg(first, rest).collectAsList();
      return keyed(rows, keys, shape, exact, fit, spec);
    });
  }

  private static Result keyed(List<Row> rows, List<String> keys, Shape shape, boolean exact, boolean fit,
      NormalizeSpec spec) {
    int n = keys.size();
    List<Map.Entry<List<Object>, Row>> groups = new ArrayList<>();
    long read = 0;
    for (Row row : rows) {
      List<Object> key = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        Object value = row.get(i);
        key.add(value instanceof Number number ? (Object) number.longValue() : value);
      }
      groups.add(Map.entry(key, row));
      read += row.getLong(n + 1);
    }
    // In key order: the merged sketches and the key named by an error are the same every time.
    groups.sort(Map.Entry.comparingByKey(KeyedStatistics::compareKeys));
    KeyedStatistics names = new KeyedStatistics(keys, List.of(), null);
    ChannelSketches allSketches = new ChannelSketches(shape);
    ExactMoments allMoments = exact ? new ExactMoments(shape) : null;
    List<ProfileSet.Keyed> profiles = new ArrayList<>();
    List<KeyedStatistics.Entry> entries = new ArrayList<>();
    for (Map.Entry<List<Object>, Row> group : groups) {
      Row row = group.getValue();
      ChannelSketches sketches = ChannelSketches.fromBytes((byte[]) row.get(n));
      if (sketches.count() == 0) {
        continue; // every row of this key is invalid (skip, keep): nothing to profile, as no statistics
      }
      ExactMoments moments = null;
      BatchStatistics statistics = null;
      if (exact) {
        moments = row.isNullAt(n + 2) ? new ExactMoments(shape) : ExactMoments.fromBytes((byte[]) row.get(n + 2));
        allMoments.merge(moments);
        if (fit) {
          statistics = checked(moments, shape, names.describe(group.getKey()), spec.statisticsScale());
          entries.add(new KeyedStatistics.Entry(group.getKey(), statistics));
        }
      }
      profiles.add(new ProfileSet.Keyed(group.getKey(), StatisticsProfile.of(sketches,
          exactStatistics(moments, statistics, spec))));
      allSketches.merge(sketches);
    }
    BatchStatistics global = fit ? checked(allMoments, shape, null, spec.statisticsScale()) : null;
    StatisticsProfile all = StatisticsProfile.of(allSketches, exactStatistics(allMoments, global, spec));
    return new Result(global, fit ? new KeyedStatistics(keys, entries, global) : null,
        new ProfileSet(keys, all, profiles), read);
  }

  private static ExactMoments moments(Row row, Shape shape) {
    return row.isNullAt(2) ? new ExactMoments(shape) : ExactMoments.fromBytes((byte[]) row.get(2));
  }

  /**
   * Batch norm's statistics of these moments, scaled; PyTorch's rule of more than 1 value per channel
   * enforced, the key (described) named when there is one.
   */
  private static BatchStatistics checked(ExactMoments moments, Shape shape, String key, double scale) {
    long count = moments.count();
    if (count <= 1) {
      String reason = TOO_FEW + count + (count == 0 ? " (no valid row)" : " (samples x spatial size)")
          + " for shape " + shape;
      StatisticsException e = StatisticsException.tooFewValues(count, reason);
      throw key == null ? e : e.worded("key " + key + ": " + reason);
    }
    return StatisticsFit.of(moments, scale);
  }

  /**
   * The profile's exact mean and variance: those of the values as they are (unscaled), the fitted
   * statistics themselves when unscaled; null (the sketches' moments) without exact moments, for at
   * most one value, or for moments beyond the range of double.
   */
  private static BatchStatistics exactStatistics(ExactMoments moments, BatchStatistics fitted, NormalizeSpec spec) {
    if (moments == null || moments.count() <= 1) {
      return null;
    }
    if (fitted != null && spec.statisticsScale() == 1.0) {
      return fitted;
    }
    try {
      return moments.statistics();
    } catch (StatisticsException e) {
      return null;
    }
  }
}
