"""The API documents say what a client gets back: every JSON answer has a schema, and /docs
works with no internet (its assets are served by the service itself)."""

import pytest
from fastapi.testclient import TestClient

from services.intake.entrypoints.main import create_app as intake_app
from services.notifier.entrypoints.main import create_app as notifier_app
from services.resolution.entrypoints.main import create_app as resolution_app
from services.stats.entrypoints.main import create_app as stats_app

APPS = {"intake": intake_app, "resolution": resolution_app, "stats": stats_app, "notifier": notifier_app}


def _untyped(document: dict) -> list[str]:
    missing = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            ok = {code: answer for code, answer in operation["responses"].items() if code.startswith("2")}
            for answer in ok.values():
                json_schema = answer.get("content", {}).get("application/json", {}).get("schema")
                other = [t for t in answer.get("content", {}) if t != "application/json"]
                if json_schema in (None, {}) and not other and "content" in answer:
                    missing.append(f"{method.upper()} {path}")
    return missing


@pytest.mark.parametrize("service", sorted(APPS))
def test_every_json_answer_has_a_response_model(service):
    assert _untyped(APPS[service]().openapi()) == []


@pytest.mark.parametrize("service", sorted(APPS))
def test_docs_are_served_with_no_cdn(service):
    client = TestClient(APPS[service]())  # outside `with`, the lifespan (database, Kafka) does not run
    page = client.get("/docs")
    assert page.status_code == 200 and "cdn" not in page.text.lower()
    for asset in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"):
        assert asset in page.text
        assert client.get(asset).status_code == 200
