package io.sparknorm.spark;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The in-process tests' Spark session ({@link SparkTestSession}) for one test class: started before
 * its tests into the class's static {@code SparkSession} field, stopped after them. Use
 * {@code @ExtendWith(LocalSpark.class)}; the class's own {@code @BeforeAll} methods run after the
 * session has started and may use it to prepare data, or replace it (stop it first): whatever session
 * the field holds at the end is stopped too.
 */
public final class LocalSpark implements BeforeAllCallback, AfterAllCallback {
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(LocalSpark.class);

  @Override
  public void beforeAll(ExtensionContext context) throws IllegalAccessException {
    List<Field> fields = sessionFields(context.getRequiredTestClass());
    if (fields.isEmpty()) {
      throw new IllegalStateException(context.getRequiredTestClass().getName()
          + " has no static SparkSession field for LocalSpark to fill");
    }
    SparkSession spark = SparkTestSession.start();
    context.getStore(NAMESPACE).put(SparkSession.class, spark);
    for (Field field : fields) {
      field.setAccessible(true);
      field.set(null, spark);
    }
  }

  /** Stops the session, and one that the class put in its field instead: none outlives the class. */
  @Override
  public void afterAll(ExtensionContext context) throws IllegalAccessException {
    SparkSession spark = context.getStore(NAMESPACE).remove(SparkSession.class, SparkSession.class);
    if (spark != null) {
      spark.stop();
    }
    for (Field field : sessionFields(context.getRequiredTestClass())) {
      field.setAccessible(true);
      if (field.get(null) instanceof SparkSession replaced) {
        replaced.stop();
      }
      field.set(null, null);
    }
  }

  private static List<Field> sessionFields(Class<?> type) {
    List<Field> fields = new ArrayList<>();
    for (Class<?> c = type; c != null; c = c.getSuperclass()) {
      for (Field field : c.getDeclaredFields()) {
        if (Modifier.isStatic(field.getModifiers()) && field.getType() == SparkSession.class) {
          fields.add(field);
        }
      }
    }
    return fields;
  }
}
