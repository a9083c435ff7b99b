package io.sparknorm.sql;

import java.util.List;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.types.StringType;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The covariate-shift entries of {@link SqlFunctions}' list: the aggregate {@code tensor_profile} and
 * the comparison {@code profile_shift}, with their documentation and builders.
 */
final class ProfileFunctions {
  private static final String PROFILE_ON_STREAMS = "On streams: only grouped by an event-time window over a"
      + " watermarked column (withWatermark, GROUP BY window(ts, ...)), each window's profile that of exactly its"
      + " rows; over a whole stream, without such a window, it is refused when the query is analyzed: profile a"
      + " batch read of the same data instead.";
  private static final String SHIFT_ON_STREAMS = "On streams: works in any streaming query, row by row, as on a"
      + " batch query.";
  private static final String PROFILE_USAGE = "_FUNC_(tensor, shape) - The profile of a tensor column, what"
      + " profile_shift compares: per channel the counts, mean, variance, min, max, clear modes and KLL sketch, as"
      + " the JSON of sparknorm's profile file (what the job's --profile-out writes; moments from the sketches)."
      + " Tensors that are NULL, unreadable, of another length than the shape, or hold NaN or an infinity are passed"
      + " over; no valid tensor gives NULL.";
  private static final String SHIFT_USAGE = "_FUNC_(reference, current) - Compares two profiles (of tensor_profile"
      + " or profile files) channel by channel: mean shift in reference standard deviations, variance ratio,"
      + " population stability index, Kolmogorov-Smirnov and Wasserstein distances, the share out of the"
      + " reference's range, lost and new modes, and the flags SHIFTED, MODE_LOST, MODE_NEW, OUT_OF_RANGE; the"
      + " JSON of the job's --shift-out. NULL gives NULL; a string that is not a profile fails the query.";

  private ProfileFunctions() {}

  static List<SqlFunctions.Definition> definitions() {
    return List.of(
        new SqlFunctions.Definition(TensorProfileFunction.NAME, SqlFunctions.info(TensorProfileFunction.NAME,
            TensorProfileFunction.class, PROFILE_USAGE, SqlFunctions.TENSOR_ARG + SqlFunctions.SHAPE_ARG,
            "      > SELECT get_json_object(p, '$.format'), get_json_object(p, '$.channels[1].count'),"
                + " get_json_object(p, '$.channels[1].max') FROM (SELECT _FUNC_(t, '2') AS p FROM VALUES"
                + " (array(1D, 10D)), (array(3D, 30D)), (array(2D, NULL)) AS data(t));\n"
                + "       sparknorm-profile\t2\t30.0\n",
            "agg_funcs", PROFILE_ON_STREAMS), ProfileFunctions::tensorProfile),
        new SqlFunctions.Definition(ProfileShiftFunction.NAME, SqlFunctions.info(ProfileShiftFunction.NAME,
            ProfileShiftFunction.class, SHIFT_USAGE,
            "      * reference - the profile compared against: a JSON string of tensor_profile or a profile file.\n"
                + "      * current - the profile of the data now, of the same shape.\n",
            "      > SELECT get_json_object(profile_shift(p, p), '$.summary.flagged') FROM (SELECT"
                + " tensor_profile(t, '1') AS p FROM VALUES (array(1D)), (array(2D)), (array(3D)) AS data(t));\n"
                + "       0\n",
            "misc_funcs", SHIFT_ON_STREAMS), ProfileFunctions::profileShift));
  }

  private static Expression tensorProfile(List<Expression> args) {
    Arguments a = new Arguments(TensorProfileFunction.NAME, args, 2, 2, "_FUNC_(tensor, shape)");
    TensorProfileFunction function = new TensorProfileFunction(a.types(), a.tensor(), a.shape(1));
    return new ChannelSketchesAggregate(function, CollectionConverters.asScala(args).toSeq(), 0, 0);
  }

  private static Expression profileShift(List<Expression> args) {
    Arguments a = new Arguments(ProfileShiftFunction.NAME, args, 2, 2, "_FUNC_(reference, current)");
    String[] names = {"reference", "current"};
    for (int i = 0; i < 2; i++) {
      if (!(a.get(i).dataType() instanceof StringType)) {
        throw a.error(i, names[i], "is of type " + a.get(i).dataType().simpleString()
            + "; give a profile's JSON string (of tensor_profile, or a profile file's text)");
      }
    }
    return new FunctionCall(new ProfileShiftFunction(), args, 2);
  }
}
