#!/bin/bash
# First start of the PostgreSQL volume: the read-only role of Grafana's board-watchers dashboard.
# The services' databases and roles, and what this role may read in stats, are the db-roles
# container's (python -m deploy.database_roles), run on every `up`.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v grafana_password="$GRAFANA_DB_PASSWORD" <<'SQL'
CREATE ROLE grafana_reader LOGIN PASSWORD :'grafana_password';
SQL
