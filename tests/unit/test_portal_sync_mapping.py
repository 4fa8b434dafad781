"""The national-portal mapping and reconciliation rules (services/portal_sync/domain), pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deploy.local.portal_standin import SHAPES
from services.portal_sync.domain.mapping import PORTAL_STATUS, CallKind, PortalCall, Skip, call_for
from services.portal_sync.domain.reconcile import Mismatch, compare, seconds_until
from shared.events import EventType
from shared.lifecycle import Status
from shared.local_time import VN
from tests.events import owned_event

AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
DUE = AT + timedelta(days=5)
DIMENSIONS = {"agency_id": "000.00.31.H26", "procedure_code": "1.013831", "channel": "post", "applicant_type": 1}


def ev(type_: EventType, seq: int, **payload):
    return owned_event(type_, "D-1", seq, AT, "c", **payload)


def test_every_status_has_a_portal_code():
    assert set(PORTAL_STATUS) == set(Status)
    assert sorted(PORTAL_STATUS.values()) == list(range(1, 11))


def test_the_first_event_creates_the_dossier_with_its_descriptors():
    call = call_for(ev(EventType.SUBMITTED, 1, to_status=1, actor="citizen", dimensions=DIMENSIONS), known=False)
    assert isinstance(call, PortalCall) and call.kind == CallKind.CREATE
    assert call.key == "D-1:1" and call.status == 1
    assert call.body["KenhThucHien"] == 3 and call.body["DoiTuong"] == 2 and call.body["MaTTHC"] == "1.013831"
    SHAPES[call.kind.value].model_validate(call.body)  # the shape the stand-in holds the portal to


def test_unknown_dossiers_and_uncounted_events_make_no_call():
    started = ev(EventType.PROCESSING_STARTED, 3, from_status=2, to_status=4, actor="o", due_at=DUE)
    assert call_for(started, known=False) is Skip.UNKNOWN_DOSSIER
    assert call_for(ev(EventType.OVERDUE, 4, due_at=DUE, status=4), known=True) is Skip.NOT_SYNCHRONISED


@pytest.mark.parametrize(
    ("event", "kind", "status"),
    [
        (ev(EventType.PROCESSING_STARTED, 3, from_status=2, to_status=4, actor="o", due_at=DUE), "trangthai", 4),
        (
            ev(EventType.STOPPED, 3, from_status=4, to_status=8, actor="o", reason="Nguyễn Văn A xin dừng"),
            "trangthai",
            8,
        ),
        (
            ev(
                EventType.RESOLVED,
                4,
                from_status=4,
                to_status=9,
                actor="o",
                due_at=DUE,
                compliance="late",
                working_hours_used=1,
            ),
            "ketqua",
            9,
        ),
        (ev(EventType.RATED, 5, score=4), "danhgia", None),
        (ev(EventType.APPROVED, 5, actor="lanhdao"), "tiendo", None),
        (ev(EventType.APOLOGY_ISSUED, 5, actor="o", reason="muộn", new_appointment_at=DUE), "tiendo", None),
    ],
)
def test_later_events_map_to_their_calls_in_the_portals_shape(event, kind, status):
    call = call_for(event, known=True)
    assert isinstance(call, PortalCall)
    assert (call.kind.value, call.status, call.seq) == (kind, status, event.seq)
    SHAPES[kind].model_validate(call.body)
    # Nothing a person typed or is named by: no reason, no actor.
    assert "Nguyễn" not in str(call.body) and "lanhdao" not in str(call.body)


def test_compare_names_each_difference_and_what_the_portal_lacks():
    ours = {"A": 10, "B": 4, "C": 2}
    assert compare(ours, {"A": 10, "B": 4, "C": 2}) == []
    assert compare(ours, {"A": 9, "B": 4}) == [Mismatch("A", 10, 9), Mismatch("C", 2, None)]


def test_the_nightly_run_is_at_the_next_local_time():
    now = datetime(2026, 12, 6, 1, 30, tzinfo=VN)
    assert seconds_until(now, "02:00") == 30 * 60
    assert seconds_until(now.replace(hour=2, minute=0, second=30), "02:00") == pytest.approx(86400 - 30)
