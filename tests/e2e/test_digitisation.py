"""Issue 15 through the real services: a clerk receives a dossier with two documents scanned and one
reused from the same applicant's earlier dossier; the accepted event carries the counts and nothing
else; stats' digitisation indicators move."""

from __future__ import annotations

import json
import uuid

import asyncpg
import httpx
import pytest

from tests.e2e.test_lifecycle_end_to_end import wait_for
from tests.signed_pdf import signed_pdf

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


async def queued_event(endpoints, code: str, type_: str) -> dict:
    """The event as intake queued it for the topic (the bytes the relay publishes)."""
    conn = await asyncpg.connect(endpoints["INTAKE_DATABASE_URL"])
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
