package io.sparknorm.ml;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.param.StringArrayParam;
import scala.Function1;

/**
 * The {@link Param} objects of batch norm's statistics per key ({@link BatchNormParams}), made once in
 * the stage's constructor with the stage as their parent, as {@link NormParams} does for the shared ones.
 *
 * <p>Internal: public only because {@link BatchNormParams#keyParams()}, an interface method, names
 * it; not part of the API.
 */
public final class KeyParams {
  final StringArrayParam groupCols;
  final Param<String> unseenKey;

  private static Object namesGiven(String[] names) {
    return Arrays.stream(names).allMatch(name -> name != null && !name.isBlank());
  }

  KeyParams(Params owner) {
    groupCols = new StringArrayParam(owner, "groupCols",
        "batch norm per key: statistics for each value of these columns (string, integer or boolean; null is a key"
            + " of its own), each row normalized with its key's; empty (the default): one set of statistics for all"
            + " rows", (Function1<String[], Object> & Serializable) KeyParams::namesGiven);
    unseenKey = new Param<>(owner, "unseenKey",
        "with groupCols: what a row whose key has no statistics gets: 'error' (fail naming the row and the key) or"
            + " 'global' (the statistics over all rows of every key)",
        ParamValidators.inArray(List.of("error", "global")));
  }
}
