package io.sparknorm.sql;

import io.sparknorm.core.CovariateShift;
import io.sparknorm.core.ProfileFormatException;
import io.sparknorm.core.ProfileSet;
import java.io.Serializable;
import org.apache.spark.sql.connector.catalog.functions.ScalarFunction;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * {@code profile_shift(reference, current)}: two profiles' JSON ({@link ProfileSet}, what
 * {@code tensor_profile} returns and {@code --profile-out} writes) compared channel by channel
 * ({@link CovariateShift#compare(ProfileSet, ProfileSet)}), the result the JSON of
 * {@link io.sparknorm.core.ShiftSet}. A NULL argument gives NULL; a string that is not a profile fails
 * the query with a {@link ProfileFormatException} naming the argument.
 *
 * <p>Internal: public because Spark's generated code calls {@code invoke}; not part of the API (the
 * SQL function is).
 */
public final class ProfileShiftFunction implements ScalarFunction<UTF8String>, Serializable {
  private static final long serialVersionUID = 1L;

  /** The SQL name. */
  static final String NAME = "profile_shift";

  ProfileShiftFunction() {}

  /** The comparison's JSON, or NULL when an argument is (Spark's generated code calls this). */
  public UTF8String invoke(UTF8String reference, UTF8String current) {
    if (reference == null || current == null) {
      return null;
    }
    ProfileSet before = parse(reference, 1, "reference");
    ProfileSet now = parse(current, 2, "current");
    try {
      return UTF8String.fromString(CovariateShift.compare(before, now).toJson());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(NAME + ": " + e.getMessage(), e);
    }
  }

  private static ProfileSet parse(UTF8String json, int position, String name) {
    try {
      return ProfileSet.fromJson(json.toString());
    } catch (ProfileFormatException e) {
      String reason = String.valueOf(e.getMessage());
      throw new ProfileFormatException(NAME + ": argument " + position + " (" + name + ") is not a profile: "
          + (reason.startsWith("profile: ") ? reason.substring("profile: ".length()) : reason), e);
    }
  }

  @Override
  public DataType[] inputTypes() {
    return new DataType[] {DataTypes.StringType, DataTypes.StringType};
  }

  @Override
  public DataType resultType() {
    return DataTypes.StringType;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String canonicalName() {
    return "sparknorm." + NAME;
  }

  @Override
  public String toString() {
    return canonicalName();
  }
}
