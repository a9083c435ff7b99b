package io.sparknorm.ml;

import io.sparknorm.spark.NormalizeSpec;
import io.sparknorm.spark.UnseenKey;
import java.util.List;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.StringArrayParam;

/**
 * The params of batch norm's two stages on top of the shared ones: {@code groupCols}, the key columns
 * of statistics per key (the job's {@code --by}), and {@code unseenKey} ({@code --unseen-key}).
 *
 * @param <S> the stage's own type
 */
public interface BatchNormParams<S extends BatchNormParams<S>> extends TensorNormParams<S> {

  /** The param objects, made once in the stage's constructor. */
  KeyParams keyParams();

  default StringArrayParam groupCols() {
    return keyParams().groupCols;
  }

  default Param<String> unseenKey() {
    return keyParams().unseenKey;
  }

  default String[] getGroupCols() {
    return getOrDefault(groupCols());
  }

  default String getUnseenKey() {
    return getOrDefault(unseenKey());
  }

  /** The key columns; none: one set of statistics for all rows. */
  default S setGroupCols(String... value) {
    return me(set(groupCols(), value));
  }

  default S setUnseenKey(String value) {
    return me(set(unseenKey(), value));
  }

  /** No key columns, unseenKey error. */
  default void setKeyDefaults() {
    setDefault(groupCols(), new String[0]);
    setDefault(unseenKey(), UnseenKey.ERROR.id());
  }

  /** Whether statistics are per key: groupCols is not empty. */
  default boolean hasGroupCols() {
    return getGroupCols().length > 0;
  }

  /** The spec with the key columns and unseenKey when groupCols is set; unchanged otherwise. */
  default NormalizeSpec withKeys(NormalizeSpec spec) {
    return hasGroupCols() ? spec.by(List.of(getGroupCols())).unseenKey(UnseenKey.parse(getUnseenKey())) : spec;
  }

  @SuppressWarnings("unchecked")
  private S me(org.apache.spark.ml.param.Params same) {
    return (S) same;
  }
}
