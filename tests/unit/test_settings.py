"""Each service reads its environment through one settings object, under the names documented."""

import pytest
from pydantic import ValidationError

from services.intake.settings import IntakeSettings
from services.resolution.settings import ResolutionSettings
from services.stats.settings import StatsSettings
from shared.settings import PORTS


def test_defaults_are_those_of_make_run(monkeypatch):
    for name in ("INTAKE_PORT", "INTAKE_HOST", "HTTP_HOST", "INTAKE_DATABASE_URL", "KAFKA_BOOTSTRAP_SERVERS"):
        monkeypatch.delenv(name, raising=False)
    intake = IntakeSettings()
    assert (intake.port, intake.bind_host, intake.kafka_bootstrap) == (PORTS["intake"], "127.0.0.1", "127.0.0.1:9092")
    assert intake.database_url.endswith(":54320/intake")


def test_the_documented_variables_are_read(monkeypatch):
    monkeypatch.setenv("HTTP_HOST", "0.0.0.0")
    monkeypatch.setenv("STATS_HOST", "10.0.0.5")
    monkeypatch.setenv("STATS_PORT", "9003")
    monkeypatch.setenv("STATS_RECONCILE_INTERVAL_S", "0")
    monkeypatch.setenv("RESOLUTION_URL", "http://resolution:8002")
    monkeypatch.setenv("RESOLUTION_EXPORT_MAX_SECONDS", "30")
    monkeypatch.setenv("SESSION_SECRET", "a-secret-long-enough-for-the-signer")
    stats = StatsSettings()
    assert (stats.bind_host, stats.port, stats.reconcile_interval_s) == ("10.0.0.5", 9003, 0)
    assert stats.resolution_url == "http://resolution:8002"
    assert stats.session_secret is not None and "a-secret" not in repr(stats), "a secret is never printed"
    resolution = ResolutionSettings()
    assert (resolution.bind_host, resolution.export_max_seconds) == ("0.0.0.0", 30)


def test_a_wrong_value_names_its_variable(monkeypatch):
    monkeypatch.setenv("INTAKE_PORT", "eighty")
    with pytest.raises(ValidationError, match="port"):
        IntakeSettings()
