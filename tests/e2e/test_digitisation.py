"""Issue 15 through the real services: a clerk receives a dossier with two documents scanned and one
reused from the same applicant's earlier dossier; the accepted event carries the counts and nothing
else; the officer decides it with a signed PDF (an unsigned one or a non-PDF refused, nothing kept);
the applicant downloads it from intake with the tracking secret only; stats' indicators move."""

from __future__ import annotations

import json
import uuid
from base64 import b64encode

import asyncpg
import httpx
import pytest

from tests.e2e.test_lifecycle_end_to_end import act, case_exists, wait_for
from tests.signed_pdf import plain_pdf, signed_pdf

pytestmark = pytest.mark.e2e
PROCEDURE = "1.013831"  # the land office's
PREVIOUS = "Giấy chứng nhận đã cấp"
DOCUMENTS = ["Đơn đăng ký biến động đất đai", "Sơ đồ thửa đất", PREVIOUS]


def applicant(id_number: str) -> dict:
    return {"name": "Lê Văn Số Hóa", "id_number": id_number, "phone": "0912345678"}


def with_scans(services, clerk, body: dict, scans: list[tuple[str, bytes]], status: int = 201) -> dict:
    files = [("files", (name, data, "application/pdf")) for name, data in scans]
    r = httpx.post(
        f"{services['intake']}/api/v1/uploads/counter",
        data={"dossier": json.dumps(body, ensure_ascii=False)},
        files=files or None,
        auth=clerk,
        timeout=20,
    )
    assert r.status_code == status, r.text
    return r.json()


def dossier(id_number: str, documents: list[str], marks: list[dict]) -> dict:
    return {
        "procedure_code": PROCEDURE,
        "channel": "counter",
        "applicant": applicant(id_number),
        "documents": documents,
        "digitisation": marks,
    }


def quality(services, agency: str) -> dict:
    answer = httpx.get(
        f"{services['stats']}/api/v1/stats/quality", params={"period": "month", "agency": agency}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["total"]["indicators"]


def numerators(services, agency: str) -> dict[str, int]:
    found = quality(services, agency)
    return {k: found[k]["numerator"] for k in ("digitised_documents", "reused_data", "electronic_results")}


async def queued_event(endpoints, code: str, type_: str, service: str = "intake") -> dict:
    """The event as the service queued it for the topic (the bytes its relay publishes)."""
    conn = await asyncpg.connect(endpoints[f"{service.upper()}_DATABASE_URL"])
    try:
        rows = await conn.fetch("SELECT payload FROM outbox WHERE key = $1 ORDER BY id", code)
    finally:
        await conn.close()
    events = [json.loads(bytes(r["payload"])) for r in rows]
    return next(e for e in events if e["type"] == type_)


def scan(n: int) -> tuple[str, bytes]:
    return (f"quet-{uuid.uuid4().hex[:8]}-{n}.pdf", signed_pdf())


async def test_counter_marks_documents_and_the_accepted_event_carries_counts_only(services, staff, endpoints):
    clerk = staff.auth("clerk")
    id_number = f"0012{uuid.uuid4().int % 10**8:08d}"
    agency = staff.agency("officer_land")
    before = numerators(services, agency)

    earlier_scan = scan(0)
    earlier = with_scans(services, clerk, dossier(id_number, [PREVIOUS], [{"kind": "scanned"}]), [earlier_scan])
    assert earlier["status"] == 2

    marks = [{"kind": "scanned"}, {"kind": "scanned"}, {"kind": "reused", "reused_from": earlier["code"]}]
    scans = [scan(1), scan(2)]
    later = with_scans(services, clerk, dossier(id_number, DOCUMENTS, marks), scans)
    assert later["status"] == 2 and later["code"] != earlier["code"]
    # The scans are the dossier's files, served under our names like every upload.
    files = httpx.get(f"{services['intake']}/api/v1/dossiers/{later['code']}/attachments", auth=clerk, timeout=10)
    assert [f["purpose"] for f in files.json()] == ["scanned", "scanned"]

    event = await queued_event(endpoints, later["code"], "dossier.accepted")
    p = event["payload"]
    assert (p["documents_total"], p["documents_scanned"], p["documents_reused"]) == (3, 2, 1)
    raw = json.dumps(event, ensure_ascii=False)
    for name, _ in [earlier_scan, *scans]:
        assert name not in raw
    assert id_number not in raw and PREVIOUS not in raw

    wait_for(
        lambda: numerators(services, agency),
        lambda now: (
            now["digitised_documents"] - before["digitised_documents"] == 2
            and now["reused_data"] - before["reused_data"] == 1
        ),
        timeout=30,
        what="stats counted the digitised dossiers",
    )
    found = quality(services, agency)
    assert found["digitised_documents"]["denominator"] >= 2 and found["digitised_documents"]["rate"] is not None

    # Refused, bilingual, nothing stored: another applicant reusing, a document the earlier dossier
    # lacks, a scanned document without its file.
    wrong = [
        (dossier("001299999999", [PREVIOUS], [{"kind": "reused", "reused_from": earlier["code"]}]), []),
        (dossier(id_number, ["Sơ đồ thửa đất"], [{"kind": "reused", "reused_from": earlier["code"]}]), []),
        (dossier(id_number, DOCUMENTS, marks), [scan(3)]),
    ]
    for body, files_ in wrong:
        error = with_scans(services, clerk, body, files_, status=422)["error"]
        assert error["message_vi"] and error["message_en"] and error["message_vi"] != error["message_en"]
    # The JSON route takes the marks too, but a scanned one needs its file.
    r = httpx.post(
        f"{services['intake']}/api/v1/dossiers",
        json=dossier(id_number, [PREVIOUS], [{"kind": "scanned"}]),
        auth=clerk,
        timeout=10,
    )
    assert r.status_code == 422 and "scanned" in r.json()["error"]["message_en"]
    reused = httpx.post(
        f"{services['intake']}/api/v1/dossiers",
        json=dossier(id_number, [PREVIOUS], [{"kind": "reused", "reused_from": later["code"]}]),
        auth=clerk,
        timeout=10,
    )
    assert reused.status_code == 201, reused.text  # reused twice over: still digitised


async def stored_results(endpoints, code: str) -> int:
    conn = await asyncpg.connect(endpoints["RESOLUTION_DATABASE_URL"])
    try:
        return await conn.fetchval("SELECT count(*) FROM electronic_results WHERE code = $1", code)
    finally:
        await conn.close()


def resolve_with(services, code: str, auth, body: dict) -> httpx.Response:
    return httpx.post(f"{services['resolution']}/api/v1/results/{code}", json=body, auth=auth, timeout=20)


def download(services, code: str, id_number: str, pin: str) -> httpx.Response:
    return httpx.post(
        f"{services['intake']}/api/v1/dossiers/{code}/result", json={"id_number": id_number, "pin": pin}, timeout=20
    )


async def test_a_signed_result_is_downloaded_by_its_applicant_only(services, staff, endpoints):
    clerk, officer = staff.auth("clerk"), staff.auth("officer_land")
    id_number = f"0013{uuid.uuid4().int % 10**8:08d}"
    agency = staff.agency("officer_land")
    before = numerators(services, agency)
    received = with_scans(services, clerk, dossier(id_number, [PREVIOUS], [{"kind": "scanned"}]), [scan(0)])
    code, pin = received["code"], received["tracking_pin"]
    wait_for(lambda: case_exists(services, code, officer), bool, what="case opened in resolution")
    act(services, code, "start-processing", officer)
    act(services, code, "approve", staff.auth("leader"))  # the land office's results are signed by a leader

    # Refused with a bilingual 422 and nothing kept: not a PDF, a PDF without a signature, bad base64,
    # an electronic result without its file.
    for body in [
        {"kind": "electronic", "pdf_base64": b64encode(b"\x89PNG\r\n\x1a\n" + b"0" * 64).decode()},
        {"kind": "electronic", "pdf_base64": b64encode(plain_pdf()).decode()},
        {"kind": "electronic", "pdf_base64": "not base64!"},
        {"kind": "electronic"},
    ]:
        refused = resolve_with(services, code, officer, body)
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert error["message_vi"] and error["message_en"] and error["message_vi"] != error["message_en"]
    assert await stored_results(endpoints, code) == 0
    assert (
        httpx.get(f"{services['resolution']}/api/v1/cases/{code}", auth=officer, timeout=10).json()["case"]["status"]
        == 4
    )

    pdf = signed_pdf()
    decided = resolve_with(services, code, officer, {"kind": "electronic", "pdf_base64": b64encode(pdf).decode()})
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == 9 and await stored_results(endpoints, code) == 1
    event = await queued_event(endpoints, code, "dossier.resolved", service="resolution")
    assert event["payload"]["result_kind"] == "electronic" and "pdf" not in json.dumps(event["payload"]).lower()

    # Only the services' token reads it from resolution; intake serves it behind the tracking secret.
    internal = f"{services['resolution']}/api/v1/internal/results/{code}"
    assert httpx.get(internal, timeout=10).status_code == 401
    assert httpx.get(internal, auth=officer, timeout=10).status_code == 403
    got = download(services, code, id_number, pin)
    assert got.status_code == 200, got.text
    assert got.content == pdf and got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"] == f'attachment; filename="{code}-ket-qua.pdf"'
    for wrong in [download(services, code, id_number, "000000"), download(services, code, "001200000000", pin)]:
        assert wrong.status_code == 404
        error = wrong.json()["error"]
        assert error["message_vi"] and error["message_en"] and pdf[:100] not in wrong.content

    tracked = wait_for(
        lambda: httpx.post(
            f"{services['intake']}/api/v1/dossiers/{code}/track", json={"id_number": id_number, "pin": pin}, timeout=10
        ).json()["dossier"],
        lambda d: d["result_kind"] == "electronic",
        timeout=30,
        what="intake tracked the electronic result",
    )
    assert tracked["status"] == 9
    wait_for(
        lambda: numerators(services, agency),
        lambda now: now["electronic_results"] - before["electronic_results"] == 1,
        timeout=30,
        what="stats counted the electronic result",
    )

    # A paper result: no PDF, and nothing to download.
    paper = with_scans(services, clerk, dossier(id_number, [PREVIOUS], [{"kind": "paper"}]), [])
    wait_for(lambda: case_exists(services, paper["code"], officer), bool, what="case opened in resolution")
    act(services, paper["code"], "start-processing", officer)
    act(services, paper["code"], "approve", staff.auth("leader"))
    assert resolve_with(services, paper["code"], officer, {"kind": "paper"}).json()["status"] == 9
    none = download(services, paper["code"], id_number, paper["tracking_pin"])
    assert none.status_code == 404 and "electronic" in none.json()["error"]["message_en"]
