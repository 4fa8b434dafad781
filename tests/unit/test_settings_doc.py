"""The configuration table (docs/configuration.md) is the one the settings classes give."""

from deploy import settings_doc


def test_the_configuration_table_is_current():
    page = settings_doc.PAGE.read_text(encoding="utf-8")
    assert settings_doc.with_table(page) == page, "run: .venv/bin/python -m deploy.settings_doc write"


def test_every_variable_is_documented():
    assert all(text for *_, text in settings_doc.rows())
