"""Digitisation at the counter and electronic results (issue 15): the marks' rules, the counts the
stats projection takes from the events, and the quality index's digitisation rates."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from services.intake.domain.digitisation import Counts, Mark, check_marks, counts
from services.intake.domain.dossier import HandedIn
from services.intake.domain.uploads import Upload
from services.intake.service import catalogue, reception
from services.stats.domain.projection import project
from services.stats.domain.quality import BY_KEY, Inputs, inputs, score_row
from shared.errors import InvalidRequest
from shared.events import LIFECYCLE_TOPIC, Channel, EventType
from tests.unit.fakes import MemoryIntakeRepository, Store, memory_units
from tests.unit.test_intake_use_cases import APPLICANT, CAL, CLERK, LAND_PROCEDURE, NOW
from tests.unit.test_projection import T0, accepted, ev

DOCS = ["Tờ khai", "Bản sao CCCD", "Giấy chứng nhận", "Sơ đồ thửa đất"]


def test_marks_fit_the_list_the_codes_and_the_files():
    marks = [Mark("scanned"), Mark("scanned"), Mark("reused", "X-1"), Mark("paper")]
    check_marks(DOCS, marks, scans=2)
    assert counts(DOCS, marks) == Counts(total=4, scanned=2, reused=1)
    check_marks(DOCS, [], scans=0)  # not marked at all: fine
    for bad, scans in [
        (marks[:3], 2),  # one document unmarked
        (marks, 1),  # a scanned document without its file
        (marks, 3),  # a file nobody marked
        ([Mark("reused"), *marks[1:]], 2),  # a reuse without the earlier code
        ([Mark("paper", "X-1"), *marks[1:]], 1),  # a code on a paper document
        ([], 1),
    ]:
        with pytest.raises(InvalidRequest) as refused:
            check_marks(DOCS, bad, scans)
        assert refused.value.vi and refused.value.en and refused.value.vi != refused.value.en


def _accepted(**counts_):
    return accepted(1, due_in_minutes=3 * 24 * 60, **counts_)


def _flows(events) -> Counter:
    fact, flows = None, Counter()
    for e in events:
        change = project(fact, e)
        fact = change.fact
        flows.update({m: n for _, _, m, n in change.daily if not m.startswith("stock_")})
    return flows


def _resolved(result_kind):
    started = ev(
        2, EventType.PROCESSING_STARTED, 1, from_status=2, to_status=4, actor="o", due_at=T0 + timedelta(days=3)
    )
    resolved = ev(
        3,
        EventType.RESOLVED,
        2,
        from_status=4,
        to_status=9,
        actor="o",
        due_at=T0 + timedelta(days=3),
        compliance="early",
        working_hours_used=0.1,
        result_kind=result_kind,
    )
    return [started, resolved]


def test_the_projection_counts_digitised_dossiers_reused_documents_and_electronic_results():
    flows = _flows([_accepted(documents_total=3, documents_scanned=2, documents_reused=1), *_resolved("electronic")])
    assert flows["digitised_dossiers"] == 1 and flows["digitised_scanned_documents"] == 2
    assert flows["digitised_reused_dossiers"] == 1 and flows["digitised_reused_documents"] == 1
    assert flows["result_electronic"] == 1 and flows["decided"] == 1 and flows["received"] == 1


def test_an_event_written_before_issue_15_counts_nothing_digitised():
    old = _accepted()  # no counts: the defaults an old event parses with
    assert (old.payload.documents_total, old.payload.documents_scanned, old.payload.documents_reused) == (0, 0, 0)
    flows = _flows([old, *_resolved(None)])
    assert not any(m.startswith(("digitised_", "result_")) for m in flows)
    assert "result_electronic" not in _flows([_accepted(documents_total=2), *_resolved("paper")])


def test_the_index_computes_the_digitisation_rates_without_points():
    f = Counter(
        received_direct=3,
        received_online=1,
        digitised_dossiers=2,
        digitised_reused_dossiers=1,
        decided=5,
        result_electronic=4,
    )
    row = dict.fromkeys(("resolved_early", "resolved_on_time", "resolved_late", "resolved_total"), 0)
    row |= {"in_processing_within": 0, "in_processing_total": 0, "in_processing_overdue": 0}
    scored = score_row(inputs(row, 0, 0, 0, f))["indicators"]
    assert scored["digitised_documents"] == {"rate": 50.0, "numerator": 2, "denominator": 4, "score": None}
    assert scored["reused_data"]["rate"] == 25.0 and scored["electronic_results"]["rate"] == 80.0
    assert all(BY_KEY[k].missing_vi is None for k in ("digitised_documents", "reused_data", "electronic_results"))
    assert score_row(Inputs(0, 0, 0, 0, 0, 0))["groups"]["digitisation"]["score"] is None


async def test_reception_stores_scans_and_marks_and_checks_reuse_against_the_same_applicant():
    store = Store()
    units = memory_units(store, MemoryIntakeRepository)
    await catalogue.load(units, catalogue.SHIPPED_CATALOGUE)

    async def receive(documents, marks, scans=(), applicant=APPLICANT):
        handed = HandedIn(LAND_PROCEDURE, Channel.COUNTER, applicant, documents, None, tuple(marks), tuple(scans))
        procedures = catalogue.CurrentProcedures()
        return await reception.receive(units, CAL, NOW, procedures=procedures, handed=handed, staff=CLERK)

    pdf = Upload("ban-quet.pdf", "application/pdf", b"%PDF-1.7\n%%EOF\n")
    first = await receive(DOCS[:2], [Mark("scanned"), Mark("paper")], [pdf])
    second = await receive(DOCS[:1], [Mark("reused", first.code)])
    assert [a["purpose"] for a in store.attachments] == ["scanned"]
    assert [m.kind for _, m, _ in store.document_marks[second.code]] == ["reused"]
    accepted = [e.payload for e in store.events(LIFECYCLE_TOPIC)]
    assert [(p.documents_total, p.documents_scanned, p.documents_reused) for p in accepted] == [(2, 1, 0), (1, 0, 1)]

    stranger = APPLICANT.model_copy(update={"id_number": "001299999999"})
    for documents, marks, applicant in [
        (DOCS[:1], [Mark("reused", first.code)], stranger),  # another applicant's dossier
        (DOCS[1:2], [Mark("reused", first.code)], APPLICANT),  # kept on paper there, not digitised
        (DOCS[:1], [Mark("reused", "NO-SUCH-CODE")], APPLICANT),
    ]:
        with pytest.raises(InvalidRequest) as refused:
            await receive(documents, marks, applicant=applicant)
        assert "same applicant" in refused.value.en
    assert len(store.events(LIFECYCLE_TOPIC)) == 2 and len(store.dossiers) == 2  # nothing stored
