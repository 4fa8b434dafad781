"""Limits on what a request may carry, each refused with a message that names the problem.

Several of these were 500s before: a NUL character reached PostgreSQL, which refuses it
in text and jsonb, from a path, a query or a body.
"""

from __future__ import annotations

import json

import httpx
import pytest

from shared.settings import DEFAULT_MAX_BODY_BYTES
from tests.e2e.signin import staff_credentials

pytestmark = pytest.mark.e2e


@pytest.fixture
def http(request):
    with httpx.Client(auth=staff_credentials(request), timeout=10) as client:
        yield client


APPLICANT = {"name": "Lê Văn Cường", "id_number": "001203004567"}


def dossier(services, **changes) -> dict:
    procedure = "1.013831"  # the land office's: the only agency that performs it, so no agency to choose
    return {
        "procedure_code": procedure,
        "channel": "counter",
        "received_by": "canbo.motcua",
        "applicant": dict(APPLICANT),
        "documents": ["Tờ khai"],
        **changes,
    }


def refused(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message_vi"] and error["message_en"] and error["message_vi"] != error["message_en"]
    return error


def test_body_over_the_limit_is_413_whether_or_not_its_length_is_declared(services, http):
    url = f"{services['intake']}/api/v1/dossiers"
    big = b'{"documents": ["' + b"x" * DEFAULT_MAX_BODY_BYTES + b'"]}'
    error = refused(http.post(url, content=big, headers={"content-type": "application/json"}), 413)
    assert "256 KiB" in error["message_vi"] and "too large" in error["message_en"]
    chunks = iter([big[:100_000], big[100_000:]])  # no Content-Length: counted as it streams
    error = refused(http.post(url, content=chunks, headers={"content-type": "application/json"}), 413)
    assert error["max_bytes"] == DEFAULT_MAX_BODY_BYTES


@pytest.mark.parametrize(
    "changes, field, vi, en",
    [
        ({"documents": ["Tờ khai"] * 51}, "documents", "nhiều quá 50 phần tử", "at most 50 items"),
        ({"documents": ["x" * 301]}, "documents.0", "dài quá 300 ký tự", "at most 300 characters"),
        ({"applicant": {**APPLICANT, "name": "N" * 201}}, "applicant.name", "dài quá 200 ký tự", "at most 200"),
        ({"applicant": {**APPLICANT, "id_number": "12345"}}, "applicant.id_number", "không đúng định dạng", "pattern"),
        ({"applicant": {**APPLICANT, "address": "a" * 501}}, "applicant.address", "dài quá 500 ký tự", "at most 500"),
        ({"channel": "fax"}, "channel", "phải là một trong các giá trị: 'counter', 'online' hoặc 'post'", "counter"),
        ({"applicant": None}, "applicant", "phải là một đối tượng JSON", "valid dictionary"),
    ],
)
def test_each_limit_names_the_field_in_both_languages(services, http, changes, field, vi, en):
    r = http.post(f"{services['intake']}/api/v1/dossiers", json=dossier(services, **changes))
    error = refused(r, 422)
    assert [p["field"] for p in error["problems"]] == [field]
    assert f"{field}: {vi}" in error["message_vi"], error["message_vi"]
    assert en in error["message_en"], error["message_en"]


def test_nul_characters_are_refused_not_500(services, http):
    intake, resolution, stats = services["intake"], services["resolution"], services["stats"]
    for r in [
        http.get(f"{intake}/api/v1/dossiers/A%00B"),
        http.get(f"{intake}/api/v1/procedures", params={"agency": "\x00"}),
        http.get(f"{resolution}/api/v1/cases", params={"agency": "a\x00"}),
        http.post(f"{resolution}/api/v1/cases/%00/resolve", json={"by": "cb"}),
        http.get(f"{stats}/api/v1/stats/live", params={"procedure": "\x00"}),
        http.post(
            f"{intake}/api/v1/dossiers", timeout=5, json=dossier(services, applicant={**APPLICANT, "name": "Lê\x00Văn"})
        ),
        http.post(f"{intake}/api/v1/dossiers", json=dossier(services, documents=["\x00"])),
    ]:
        assert "NUL" in refused(r, 422)["message_en"]


def test_broken_json_unknown_paths_and_methods_answer_in_both_languages(services, http):
    url = f"{services['intake']}/api/v1/dossiers"
    deep = refused(http.post(url, content=b"[" * 5000, headers={"content-type": "application/json"}), 400)
    assert "JSON" in deep["message_vi"]
    broken = refused(http.post(url, content=b'{"channel": ', headers={"content-type": "application/json"}), 422)
    assert "JSON" in broken["message_vi"]
    refused(http.get(f"{services['intake']}/api/v1/nothing-here"), 404)
    refused(http.delete(url), 405)
    long_reason = {"by": "cb.xuly", "reason": "r" * 2001}
    error = refused(http.post(f"{services['resolution']}/api/v1/cases/X/resolve", json=long_reason), 422)
    assert "reason: dài quá 2000 ký tự" in error["message_vi"]
    assert json.dumps(error, ensure_ascii=False)  # serialisable as is
