# make run: set up and start everything. make test: set up and run every test.
PY := .venv/bin/python
STAMP := .venv/.installed

.PHONY: run test lint chaos venv lock unit asyncapi settings-doc rebuild-stats reconcile clean import user bench dlt strimzi-crds backup restore rewind cluster mail notify-dlt

# The exact versions, with their hashes, of everything pyproject.toml asks for (runtime + dev).
venv: $(STAMP)
$(STAMP): requirements-dev.lock
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install --quiet --retries 10 --timeout 60 --upgrade pip
	$(PY) -m pip install --quiet --retries 10 --timeout 60 --require-hashes -r requirements-dev.lock
	touch $(STAMP)

# Upgrade: every package to the newest release pyproject.toml's ranges allow, in both lock files
# (requirements.lock: runtime only, what the image installs; the same versions as the dev lock).
LOCK := $(PY) -m uv pip compile pyproject.toml --quiet --generate-hashes --python-version 3.11 --custom-compile-command "make lock"
lock: venv
	$(LOCK) --upgrade --extra dev -o requirements-dev.lock
	$(LOCK) --upgrade -c requirements-dev.lock -o requirements.lock

run: venv
	$(PY) -m deploy.local.stack run

test: venv lint
	$(PY) -m deploy.local.stack test $(PYTEST_ARGS)

# Three KRaft brokers (replication 3, min.insync.replicas 2) and a PostgreSQL: prints the
# export lines the services need. `$(PY) -m deploy.local.servers down --profile cluster` stops them.
cluster: venv
	$(PY) -m deploy.local.servers up --profile cluster

# pg_dump of each database (*_DATABASE_URL, else make run's) into DIR/<UTC time>/ (docs/backups.md).
DIR ?= backups
backup: venv
	$(PY) -m deploy.backup dump --dir "$(DIR)" $(if $(DATABASES),--databases "$(DATABASES)")

# pg_restore of a backup folder: make restore DIR=backups/20261206T031100Z [DATABASES=intake,resolution]
restore: venv
	$(PY) -m deploy.backup restore --dir "$(DIR)" $(if $(DATABASES),--databases "$(DATABASES)")

# After a restore: intake's and resolution's consumer groups back to the dump's time (services stopped).
rewind: venv
	$(PY) -m deploy.local.kafka_access admin $(PY) -m deploy.backup rewind --to "$(TO)"

# Style and types: ruff (lint, and the format every file must have) and mypy on shared/ and services/.
lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(PY) -m deploy.lint

# Regenerate deploy/k8s/crds/ from Strimzi's API classes on Maven Central (see its README.md).
strimzi-crds:
	$(PY) -m deploy.lint strimzi-crds

# Only the fault tests (kills, restarts, outage, rebalance); make test runs them too.
chaos: venv
	$(PY) -m deploy.local.stack test -q tests/chaos

# Pure tests only: no servers needed.
unit: venv
	$(PY) -m pytest tests/unit -q

# Benchmarks (not tests): quick sizes, under 10 minutes; FULL=1 for the issue's sizes.
# Own servers (profile bench), so it runs beside make run and make test. Results: bench-results/.
bench: venv
	$(PY) -m bench $(if $(FULL),--full)

# Legacy dossiers as JSON lines into a running intake: make import FILE=old.jsonl [URL=http://host:8001]
URL ?= http://127.0.0.1:8001
import: venv
	@test -n "$(FILE)" || { echo "usage: make import FILE=path.jsonl [URL=$(URL)]"; exit 2; }
	$(PY) -m deploy.importer "$(FILE)" --url "$(URL)" $(if $(USERNAME),--username "$(USERNAME)")

# The databases' and Kafka's addresses: those of the environment, else make run's local servers
# (started if needed), whose URLs carry the roles' passwords.
LOCAL_ENV = eval "$$($(PY) -m deploy.local.servers up --profile run)"

# Replay the lifecycle topic into new stats tables, then switch (the board stays up meanwhile).
rebuild-stats: venv
	$(LOCAL_ENV) && $(PY) -m deploy.local.kafka_access stats $(PY) -m services.stats.entrypoints.commands rebuild

# Counters vs facts vs resolution's statuses; exits 1 on any mismatch. ARGS=--changes: only what changed.
reconcile: venv
	$(LOCAL_ENV) && $(PY) -m deploy.local.kafka_access stats $(PY) -m services.stats.entrypoints.commands reconcile $(ARGS)

asyncapi: venv
	$(PY) -m deploy.asyncapi write

# The configuration table (docs/configuration.md), from the settings classes.
settings-doc: venv
	$(PY) -m deploy.settings_doc write

clean:
	-$(PY) -m deploy.local.servers down --profile run
	-$(PY) -m deploy.local.servers down --profile test
	-$(PY) -m deploy.local.servers down --profile bench
	-$(PY) -m deploy.local.servers down --profile cluster
	-$(PY) -m deploy.local.servers down --profile restore
	rm -rf .local

# Dead letters: make dlt ARGS="list" | ARGS="show --offset N" | ARGS="replay --offset N"
dlt: venv
	$(PY) -m deploy.local.kafka_access admin $(PY) -m deploy.dlt $(ARGS)

# notifier: what the local SMTP server received (make run), and the messages that failed every try:
# make notify-dlt ARGS="list" | ARGS="replay --all" | ARGS="replay CODE SEQ email|sms"
mail: venv
	$(PY) -m deploy.local.mail --list

notify-dlt: venv
	$(PY) -m deploy.notify_dlt $(ARGS)

# Create or update a staff account in every service's database, e.g.
#   make user ROLE=officer USERNAME=cv.datdai AGENCY=000.00.31.H26 NAME="Nguyễn Văn A"
# The password is asked for, or taken from PASSWORD=... (passed in the environment, never echoed).
user: venv
	$(PY) -m deploy.users --role "$(ROLE)" --username "$(USERNAME)" $(if $(AGENCY),--agency "$(AGENCY)") $(if $(NAME),--name "$(NAME)") $(if $(DISABLE),--disable)
