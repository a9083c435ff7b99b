package io.sparknorm.job;

import java.io.IOException;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A catalog table that is not Delta ({@code --output-table NAME}, Parquet, ORC or JSON). Writing such a table is not
 * atomic, so the normalized rows are first written to a hidden folder beside the warehouse's tables
 * ({@link StagedOutput}); only when all of them are there is the table created, replaced or appended from those
 * files, so that a bad row never touches the table. How the rows were made goes to the table property
 * {@link RunRecord#PROPERTY}.
 */
final class StagedTableOutput implements TableOutput {
  private final SparkSession spark;
  private final String table;
  private final String format;
  private final boolean overwrite;
  private final boolean append;
  private final StagedOutput staged;

  StagedTableOutput(JobOptions options, SparkSession spark, Configuration conf) {
    this.spark = spark;
    this.table = options.outputTable;
    this.format = Formats.formatOf(options.outputFormat, "output-format", false);
    this.overwrite = options.overwrite;
    this.append = options.append;
    Path warehouse = new Path(spark.conf().get("spark.sql.warehouse.dir"));
    this.staged = new StagedOutput(new Path(warehouse, table.replaceAll("[^A-Za-z0-9_]", "_")),
        UUID.randomUUID().toString(), conf, what());
  }

  @Override
  public String what() {
    return "output table " + table;
  }

  @Override
  public void check() {
    CatalogTables.checkOutput(spark, table, format, overwrite, append);
    staged.checkWritable();
  }

  @Override
  public void write(Dataset<Row> frame, String record) throws IOException {
    String folder = staged.staging().toString();
    frame.write().format(format).save(folder);
    // Read back with the rows' own schema: JSON would infer another one.
    Dataset<Row> rows = spark.read().schema(frame.schema()).format(format).load(folder);
    rows.write().format(format).mode(append ? "append" : overwrite ? "overwrite" : "errorifexists").saveAsTable(table);
    spark.sql("ALTER TABLE " + table + " SET TBLPROPERTIES ('" + RunRecord.PROPERTY + "' = '" + sqlString(record)
        + "')");
  }

  private static String sqlString(String text) {
    return text.replace("\\", "\\\\").replace("'", "\\'");
  }

  /** The staged files are not needed once the table holds the rows, nor after a failure. */
  @Override
  public void close() {
    staged.abort();
  }
}
