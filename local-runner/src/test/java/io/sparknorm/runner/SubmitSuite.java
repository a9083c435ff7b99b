package io.sparknorm.runner;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What an integration test class that submits the job holds for its tests: a work folder ({@link WorkDir}, named
 * after the class), a {@link JobSubmitter} with the class's own copy of the job jar, the test JVM's small Spark
 * ({@link TestSpark}) to write inputs and read outputs, and a {@link Report} of figures.
 *
 * <p>Use {@code @ExtendWith(SubmitSuite.class)}: the class's static fields of those types are set before its own
 * {@code @BeforeAll} methods run. After its {@code @AfterAll} methods, the runs' timings and the report are printed,
 * the session the field then holds is stopped (a class may replace it with one of its own) and the folder removed,
 * each step whatever the one before did.
 */
final class SubmitSuite implements BeforeAllCallback, AfterAllCallback {
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SubmitSuite.class);

  /** Lines of figures a class reports: printed as they come, and together after its tests. */
  static final class Report {
    private final String name;
    private final List<String> lines = Collections.synchronizedList(new ArrayList<>());

    private Report(String name) {
      this.name = name;
    }

    void add(String format, Object... args) {
      String line = String.format(Locale.ROOT, format, args);
      lines.add(line);
      System.out.println("[" + name + "] " + line);
    }

    private void print() {
      synchronized (lines) {
        if (!lines.isEmpty()) {
          System.out.println("[" + name + "] report:");
          lines.forEach(line -> System.out.println("[" + name + "]   " + line));
        }
      }
    }
  }

  @Override
  public void beforeAll(ExtensionContext context) throws IllegalAccessException {
    Class<?> type = context.getRequiredTestClass();
    String name = type.getSimpleName();
    ExtensionContext.Store store = context.getStore(NAMESPACE);
    WorkDir work = WorkDir.create(name);
    store.put(WorkDir.class, work);
    JobSubmitter submit = new JobSubmitter(name, work.root());
    store.put(JobSubmitter.class, submit);
    Report report = new Report(name);
    store.put(Report.class, report);
    SparkSession spark = TestSpark.start(name + " inputs");
    store.put(SparkSession.class, spark);
    for (Field field : staticFields(type)) {
      Class<?> fieldType = field.getType();
      Object value = fieldType == WorkDir.class ? work : fieldType == JobSubmitter.class ? submit
          : fieldType == Report.class ? report : fieldType == SparkSession.class ? spark : null;
      if (value != null) {
        field.setAccessible(true);
        field.set(null, value);
      }
    }
  }

  @Override
  public void afterAll(ExtensionContext context) throws IllegalAccessException {
    ExtensionContext.Store store = context.getStore(NAMESPACE);
    try {
      JobSubmitter submit = store.remove(JobSubmitter.class, JobSubmitter.class);
      if (submit != null) {
        System.out.println(submit.summary());
      }
      Report report = store.remove(Report.class, Report.class);
      if (report != null) {
        report.print();
      }
    } finally {
      try {
        TestSpark.stop(store.remove(SparkSession.class, SparkSession.class));
        for (Field field : staticFields(context.getRequiredTestClass())) {
          if (field.getType() == SparkSession.class) {
            field.setAccessible(true);
            TestSpark.stop((SparkSession) field.get(null));
          }
        }
      } finally {
        WorkDir work = store.remove(WorkDir.class, WorkDir.class);
        if (work != null) {
          work.close();
        }
      }
    }
  }

  private static List<Field> staticFields(Class<?> type) {
    List<Field> fields = new ArrayList<>();
    for (Field field : type.getDeclaredFields()) {
      if (Modifier.isStatic(field.getModifiers())) {
        fields.add(field);
      }
    }
    return fields;
  }
}
