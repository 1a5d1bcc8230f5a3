#!/usr/bin/env bash
# Fetch the Apache Kafka broker (org.apache.kafka:kafka_2.13) and everything it needs at run time
# (storage tool, server modules, log4j2 + its slf4j binding) from Maven Central into a cache dir that
# lives OUTSIDE the repository, so `infra/stack.sh` can run a native KRaft broker without Docker.
#
#   INVOICEFLOW_KAFKA_CACHE    where the jars go      (default: $HOME/.cache/invoiceflow/kafka)
#   INVOICEFLOW_KAFKA_VERSION  broker version to take (default: 4.4.0, see infra/README.md)
#
# Idempotent: a marker file records the versions once the copy is complete; when it matches, this is a
# fast no-op. The jars are fetched again when a version changes or a previous run was cut short.
# Maven's own repository (~/.m2) is used as the download cache, so a re-fetch is mostly local.
set -euo pipefail

KAFKA_VERSION="${INVOICEFLOW_KAFKA_VERSION:-4.4.0}"
CACHE="${INVOICEFLOW_KAFKA_CACHE:-$HOME/.cache/invoiceflow/kafka}"
MARKER="$CACHE/.complete"

# Kafka 4.x logs through the slf4j 1.7 API into log4j2. kafka-server brings log4j-api/log4j-core, but
# nothing brings the slf4j -> log4j2 binding (the distribution tarball adds it), so it is added here. Its
# version must equal the log4j-core that kafka-server pulls in (checked below); 2.25.5 for Kafka 4.4.0.
LOG4J_VERSION="${INVOICEFLOW_KAFKA_LOG4J_VERSION:-2.25.5}"
STAMP="kafka_2.13=$KAFKA_VERSION log4j=$LOG4J_VERSION"

if [[ -f "$MARKER" && "$(cat "$MARKER")" == "$STAMP" ]]; then
    exit 0
fi

command -v mvn >/dev/null || { echo "kafka-jars: mvn not found; run infra/install-system-deps.sh" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cat >"$work/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.invoiceflow</groupId>
  <artifactId>kafka-broker-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-server</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-storage</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-metadata</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-raft</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$LOG4J_VERSION</version></dependency>
  </dependencies>
</project>
EOF

echo "kafka-jars: resolving org.apache.kafka:kafka_2.13:$KAFKA_VERSION and its runtime from Maven Central..."
mkdir -p "$CACHE"
# Only our own files are removed (never the whole dir: the variable may point somewhere shared).
rm -f "$MARKER" "$CACHE"/*.jar
if ! mvn -q -B -f "$work/pom.xml" dependency:copy-dependencies \
        -DincludeScope=runtime -DoutputDirectory="$CACHE" >"$work/mvn.log" 2>&1; then
    cat "$work/mvn.log" >&2
    echo "kafka-jars: Maven could not resolve Kafka $KAFKA_VERSION (see above)" >&2
    exit 1
fi

# Sanity check: the broker entry point and the storage formatter must be on the class path.
for jar in "kafka_2.13-$KAFKA_VERSION.jar" "kafka-server-$KAFKA_VERSION.jar" "kafka-storage-$KAFKA_VERSION.jar"; do
    [[ -f "$CACHE/$jar" ]] || { echo "kafka-jars: $jar missing after resolution" >&2; exit 1; }
done

if [[ ! -f "$CACHE/log4j-core-$LOG4J_VERSION.jar" ]]; then
    echo "kafka-jars: log4j-slf4j-impl $LOG4J_VERSION does not match the log4j-core Kafka brings:" \
         "$(cd "$CACHE" && ls log4j-core-*.jar); set INVOICEFLOW_KAFKA_LOG4J_VERSION to that version" >&2
    exit 1
fi

echo "$STAMP" >"$MARKER"
echo "kafka-jars: $(find "$CACHE" -maxdepth 1 -name '*.jar' | wc -l) jars for Kafka $KAFKA_VERSION in $CACHE"
