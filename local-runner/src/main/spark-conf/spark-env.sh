#!/usr/bin/env bash
# Environment of the sparknorm local runner (conf/ of local-runner/target/spark-home). Sourced by
# local-runner/spark-submit before it starts Spark's launcher, with every assignment exported (as Spark's
# load-spark-env.sh does). Only defaults here: a value already set in the caller's environment wins.

# Bind the driver (and a local standalone cluster) to loopback, not to the machine's outside address.
SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"

# The jars/ folder holds Spark for Scala 2.13; Spark's launcher and standalone Worker need to be told.
SPARK_SCALA_VERSION="${SPARK_SCALA_VERSION:-2.13}"

# Other settings Spark reads from here, e.g.:
# SPARK_LOCAL_DIRS=/a/big/scratch/disk      # shuffle and spill files (default: java.io.tmpdir)
# SPARK_DRIVER_MEMORY=2g                    # same as --driver-memory
# SPARK_SUBMIT_OPTS=-Dsome.property=value   # extra JVM options of the spark-submit JVM
