#!/usr/bin/env bash
# Makes sure the local PostgreSQL server runs and prints the DSN that the
# sqlstore tests read from SCIMKIT_POSTGRES_DSN. Use it from CI as
#
#	export SCIMKIT_POSTGRES_DSN="$(bash store/sqlstore/scripts/postgres-dsn.sh)"
#
# The tests create a fresh database (scimkit_test_<random>) on that server
# for each run and drop it afterwards. Diagnostics go to stderr; it exits
# non-zero when no server can be reached.
set -euo pipefail
host=127.0.0.1
port=5432
if ! pg_isready -q -h "$host" -p "$port" 2>/dev/null; then
	echo "postgres-dsn.sh: PostgreSQL is not accepting connections; starting it" >&2
	for v in $(ls /etc/postgresql 2>/dev/null); do
		pg_ctlcluster --skip-systemctl-redirect "$v" main start >&2 || true
	done
	for _ in $(seq 1 30); do
		pg_isready -q -h "$host" -p "$port" 2>/dev/null && break
		sleep 1
	done
	if ! pg_isready -h "$host" -p "$port" >&2; then
		echo "postgres-dsn.sh: PostgreSQL did not start" >&2
		exit 1
	fi
fi
echo "postgres://postgres@$host:$port/postgres?sslmode=disable"
