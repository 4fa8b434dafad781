"""The README's configuration table is the one the settings classes give."""

from deploy import settings_doc


def test_readme_configuration_table_is_current():
    readme = settings_doc.README.read_text(encoding="utf-8")
    assert settings_doc.with_table(readme) == readme, "run: .venv/bin/python -m deploy.settings_doc write"


def test_every_variable_is_documented():
    assert all(text for *_, text in settings_doc.rows())
