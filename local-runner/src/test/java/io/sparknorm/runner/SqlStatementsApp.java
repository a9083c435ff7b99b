package io.sparknorm.runner;

import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A Spark application that knows nothing of sparknorm: it runs each argument as a SQL statement and prints each
 * result row on a line of its own. PackagesIT submits it with the library given only by Maven coordinates, so every
 * sparknorm class it reaches came from that resolution.
 */
public final class SqlStatementsApp {
  private SqlStatementsApp() {}

  public static void main(String[] args) {
    SparkSession spark = SparkSession.builder().getOrCreate();
    try {
      for (String statement : args) {
        for (Row row : spark.sql(statement).collectAsList()) {
          System.out.println("row: " + row.mkString("|"));
        }
      }
    } finally {
      spark.stop();
    }
  }
}
