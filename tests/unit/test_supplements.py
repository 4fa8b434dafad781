"""Form 02's time rule (shared/supplements.py), the moves it relies on, and form 07's cells."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook

from services.intake.domain import logbook
from services.intake.domain.dossier import Applicant, HandedIn
from services.intake.domain.uploads import Upload
from services.intake.service import attachments, catalogue, reception
from services.intake.service import supplements as intake_supplements
from shared import supplements
from shared.auth import Account, Role
from shared.calendar import default_calendar
from shared.errors import Forbidden, InvalidRequest
from shared.events import LIFECYCLE_TOPIC, Channel
from shared.lifecycle import (
    PRE_ACCEPTANCE_ACTIONS,
    RESOLUTION_ACTIONS,
    Action,
    Status,
    TransitionRefused,
    target_status,
)
from shared.supplements import Asked
from tests.unit.fakes import MemoryIntakeRepository, Store, memory_units

CAL = default_calendar()
PROCEDURES = catalogue.CurrentProcedures()  # the catalogue through its cache, as a running intake reads it
MONDAY_9 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 09:00 in Hà Nội


def test_default_is_ten_working_days_by_the_calendar():
    due = supplements.supplement_due_at(CAL, MONDAY_9, None, supplements.DEFAULT_WORKING_DAYS)
    assert due == CAL.due_time(MONDAY_9, 80)
    assert due == datetime(2026, 3, 16, 2, 0, tzinfo=UTC)  # two weeks on, same hour (no holiday between)


def test_a_time_given_must_be_later_than_now():
    later = MONDAY_9 + timedelta(days=3)
    assert supplements.supplement_due_at(CAL, MONDAY_9, later, 10) == later
    with pytest.raises(InvalidRequest):
        supplements.supplement_due_at(CAL, MONDAY_9, MONDAY_9, 10)


def test_lapsed_only_while_waiting_for_papers_and_once_the_time_has_come():
    due = MONDAY_9 + timedelta(hours=1)
    assert not supplements.lapsed(Status.SUPPLEMENT_REQUESTED, due, due - timedelta(seconds=1))
    assert supplements.lapsed(Status.SUPPLEMENT_REQUESTED, due, due)
    assert not supplements.lapsed(Status.PROCESSING, due, due + timedelta(days=1))  # the papers came
    assert not supplements.lapsed(Status.FEE_REQUESTED, due, due + timedelta(days=1))
    assert not supplements.lapsed(Status.SUPPLEMENT_REQUESTED, None, due)  # asked with no time (imports)


def test_a_lapse_refuses_before_acceptance_and_stops_after_it():
    before = supplements.lapse_action(accepted_before=False)
    after = supplements.lapse_action(accepted_before=True)
    assert target_status(before, Status.SUPPLEMENT_REQUESTED, accepted_before=False, among=PRE_ACCEPTANCE_ACTIONS) is (
        Status.REFUSED
    )
    assert target_status(after, Status.SUPPLEMENT_REQUESTED, accepted_before=True, among=RESOLUTION_ACTIONS) is (
        Status.STOPPED
    )


def test_the_moves_of_form_02():
    asked = target_status(Action.REQUEST_SUPPLEMENT, Status.SUBMITTED, accepted_before=False)
    assert asked is Status.SUPPLEMENT_REQUESTED
    # the papers come before acceptance: accepted (the clock starts); during processing: back to 4
    assert target_status(Action.RECORD_SUPPLEMENT, asked, accepted_before=False) is Status.ACCEPTED
    assert target_status(Action.RECORD_SUPPLEMENT, asked, accepted_before=True) is Status.PROCESSING
    for paused in (Status.SUPPLEMENT_REQUESTED, Status.FEE_REQUESTED):
        assert target_status(Action.STOP, paused, accepted_before=True, among=RESOLUTION_ACTIONS) is Status.STOPPED


def test_missing_list_trims_and_drops_blanks_and_repeats():
    assert supplements.missing_list([" Đơn ", "", "Đơn", "Bản sao CCCD"]) == ["Đơn", "Bản sao CCCD"]


def test_reason_words():
    assert "Quá thời hạn bổ sung" in supplements.reason_words(supplements.LAPSED_REASON)
    assert supplements.reason_words("Thiếu bản chính") == "Thiếu bản chính"
    assert supplements.reason_words(None) == ""


def _row(name: str) -> logbook.LogbookRow:
    return logbook.LogbookRow(
        code="X-1",
        received_at=MONDAY_9,
        applicant_name=name,
        applicant_address="-1 Phố Huế",
        procedure_code="1.0",
        procedure_name="Thủ tục",
        agency_id="A",
        agency_name="Cơ quan A",
        channel="counter",
        due_at=None,
        status=2,
        resolved_at=None,
        returned_at=None,
        note=None,
    )


def test_formula_like_cells_are_text_in_csv_and_xlsx():
    lines = [logbook.line(1, _row("=1+2")), logbook.line(2, _row("Nguyễn Văn A")), logbook.line(3, _row("Bell\x07"))]
    day = MONDAY_9.date()
    text = logbook.to_csv(lines, day, day, None).decode("utf-8-sig")
    assert "'=1+2" in text and "'-1 Phố Huế" in text and "Nguyễn Văn A" in text and "'Nguyễn" not in text
    assert "09:00" in text  # local time
    sheet = load_workbook(io.BytesIO(logbook.to_xlsx(lines, day, day, None))).active
    cells = {c.value: c.data_type for row in sheet.iter_rows() for c in row if c.value is not None}
    assert cells["=1+2"] == "s" and cells["-1 Phố Huế"] == "s"
    assert "Bell" in cells  # a control character a sheet cannot hold is left out


# --- the use cases, in memory ---------------------------------------------------------------

LAND_PROCEDURE = "1.013831"
CLERK = Account("canbo.a", Role.CLERK, None)
OTHER_AGENCY_CLERK = Account("canbo.phuong", Role.CLERK, "000.01.01.H26")
APPLICANT = Applicant(name="Nguyễn Văn An", id_number="001203004567", phone="0912345678")


@pytest.fixture
async def intake():
    store = Store()
    units = memory_units(store, MemoryIntakeRepository)
    await catalogue.load(units, catalogue.SHIPPED_CATALOGUE)
    return store, units


async def test_online_dossier_asked_for_papers_then_accepted_when_they_come(intake):
    store, units = intake
    handed = HandedIn(LAND_PROCEDURE, Channel.ONLINE, APPLICANT, [])
    online = await reception.receive(
        units, CAL, MONDAY_9, procedures=catalogue.CurrentProcedures(), handed=handed, staff=None
    )
    with pytest.raises(InvalidRequest):  # form 02 names at least one paper
        await intake_supplements.request_supplement(
            units,
            CAL,
            MONDAY_9,
            online.code,
            Asked([" "], None, None),
            staff=CLERK,
            working_days=10,
        )
    with pytest.raises(Forbidden):
        await intake_supplements.request_supplement(
            units,
            CAL,
            MONDAY_9,
            online.code,
            Asked(["Tờ khai"], None, None),
            staff=OTHER_AGENCY_CLERK,
            working_days=10,
        )
    asked = await intake_supplements.request_supplement(
        units,
        CAL,
        MONDAY_9,
        online.code,
        Asked(["Tờ khai"], "Thiếu", None),
        staff=CLERK,
        working_days=10,
    )
    assert (asked.status, asked.last_seq, asked.accepted_at) == (Status.SUPPLEMENT_REQUESTED, 2, None)
    event = store.events(LIFECYCLE_TOPIC)[-1]
    assert event.type == "dossier.supplement_requested" and event.payload.missing_documents == ["Tờ khai"]
    assert event.payload.supplement_due_at == CAL.due_time(MONDAY_9, 80) and event.payload.due_at is None
    assert APPLICANT.name not in event.model_dump_json() and APPLICANT.id_number not in event.model_dump_json()
    with pytest.raises(TransitionRefused):  # asked once; accepting is recording the papers
        await reception.decide(
            units, CAL, MONDAY_9, online.code, Action.ACCEPT, procedures=PROCEDURES, staff=CLERK, reason=None
        )
    came = MONDAY_9 + timedelta(days=2)
    accepted = await reception.decide(
        units, CAL, came, online.code, Action.RECORD_SUPPLEMENT, procedures=PROCEDURES, staff=CLERK, reason=None
    )
    assert (accepted.status, accepted.accepted_at) == (Status.ACCEPTED, came)
    assert accepted.due_at == CAL.due_time(came, 40)  # the clock starts when the papers came
    assert store.events(LIFECYCLE_TOPIC)[-1].payload.from_status == 5
    assert await intake_supplements.refuse_lapsed(units, came + timedelta(days=60), PROCEDURES) == 0


async def test_walk_in_asked_for_papers_is_1_then_5_and_refused_by_the_system_when_late(intake):
    store, units = intake
    due = MONDAY_9 + timedelta(hours=2)
    walk_in = await intake_supplements.request_at_counter(
        units,
        CAL,
        MONDAY_9,
        procedures=catalogue.CurrentProcedures(),
        handed=HandedIn(LAND_PROCEDURE, Channel.COUNTER, APPLICANT, ["Đơn"]),
        asked=Asked(["Bản chính Giấy chứng nhận"], None, due),
        staff=CLERK,
        working_days=10,
    )
    assert (walk_in.status, walk_in.last_seq, walk_in.received_by) == (Status.SUPPLEMENT_REQUESTED, 2, "canbo.a")
    assert [(e.seq, e.type) for e in store.events(LIFECYCLE_TOPIC)] == [
        (1, "dossier.submitted"),
        (2, "dossier.supplement_requested"),
    ]
    assert await intake_supplements.refuse_lapsed(units, due - timedelta(seconds=1), PROCEDURES) == 0
    assert await intake_supplements.refuse_lapsed(units, due, PROCEDURES) == 1
    refused = store.dossiers[walk_in.code]
    assert (refused.status, refused.refusal_reason) == (Status.REFUSED, supplements.LAPSED_REASON)
    last = store.events(LIFECYCLE_TOPIC)[-1]
    assert (last.type, last.seq, last.payload.actor) == ("dossier.refused", 3, "system")
    assert await intake_supplements.refuse_lapsed(units, due + timedelta(days=1), PROCEDURES) == 0


async def test_papers_uploaded_in_time_wait_for_the_counter_instead_of_a_refusal(intake):
    store, units = intake
    handed = HandedIn(LAND_PROCEDURE, Channel.ONLINE, APPLICANT, [])
    online = await reception.receive(
        units, CAL, MONDAY_9, procedures=catalogue.CurrentProcedures(), handed=handed, staff=None
    )
    due = MONDAY_9 + timedelta(hours=2)
    await intake_supplements.request_supplement(
        units, CAL, MONDAY_9, online.code, Asked(["Tờ khai"], None, due), staff=CLERK, working_days=10
    )
    scan = Upload("to-khai.pdf", "application/pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    await attachments.supplement_for_citizen(
        units, MONDAY_9 + timedelta(hours=1), online.code, id_number=APPLICANT.id_number, files=[scan]
    )
    assert await intake_supplements.refuse_lapsed(units, due + timedelta(days=1), PROCEDURES) == 0
    assert store.dossiers[online.code].status is Status.SUPPLEMENT_REQUESTED  # the clerk checks the scan
