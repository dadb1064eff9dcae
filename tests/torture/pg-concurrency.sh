#!/usr/bin/env bash
# concurrency.sh against a new database on a PostgreSQL server, dropped after.
# Usage: tests/torture/pg-concurrency.sh SERVER_URL BIN [processes] [commands per process]
# SERVER_URL has no database (scripts/pg-cluster prints one).
set -euo pipefail
server=$1 bin=$2 procs=${3:-8} per=${4:-500}
name="torture_$$_$RANDOM"
admin="${server/\/\?//postgres?}"
psql -X -q -d "$admin" -c "CREATE DATABASE $name"
trap 'psql -X -q -d "$admin" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)"' EXIT
"$(dirname "$0")/concurrency.sh" "$bin" "$procs" "$per" "${server/\/\?//$name?}"
