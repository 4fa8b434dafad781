#!/bin/bash
# First start of the PostgreSQL volume: one database per service (each service creates its own
# tables), and a read-only role for Grafana's board-watchers dashboard on stats' aggregates.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v grafana_password="$GRAFANA_DB_PASSWORD" <<'SQL'
CREATE DATABASE intake;
CREATE DATABASE resolution;
CREATE DATABASE stats;
CREATE DATABASE notifier;
CREATE ROLE grafana_reader LOGIN PASSWORD :'grafana_password';
SQL
# Stats' tables live in one schema per projection generation (g1, g2, …), made later by stats:
# default privileges give the reader what stats creates from now on.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname stats <<'SQL'
GRANT CONNECT ON DATABASE stats TO grafana_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE dvc GRANT USAGE ON SCHEMAS TO grafana_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE dvc GRANT SELECT ON TABLES TO grafana_reader;
SQL
