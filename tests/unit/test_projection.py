"""The stats projection: buckets move with events, duplicates and gaps are told apart."""

from datetime import UTC, datetime, timedelta

import pytest

from services.stats.domain.projection import Rejected, project
from shared.events import EventType, make_event

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 09:00 in Hà Nội
DIMS = {"agency_id": "000.00.01.H26", "procedure_code": "P1", "channel": "online", "applicant_type": 0}


def ev(seq, type_, minutes=0, **payload):
    return make_event(
        type_,
        dossier_code="X",
        seq=seq,
        occurred_at=T0 + timedelta(minutes=minutes),
        producer="test",
        correlation_id="c",
        payload=payload,
    )


def accepted(seq, due_in_minutes=600, frm=None, **extra):
    return ev(
        seq,
        EventType.ACCEPTED,
        **extra,
        from_status=frm,
        to_status=2,
        actor="clerk",
        dimensions=DIMS,
        accepted_at=T0,
        deadline={
            "due_at": T0 + timedelta(minutes=due_in_minutes),
            "processing_hours": 8,
            "time_type": "working",
            "clock_policy": "pause",
            "rule_version": "v",
        },
    )


def run(events):
    fact, board, daily = None, {}, []
    for e in events:
        change = project(fact, e)
        if change is None:
            continue
        fact = change.fact
        for _dims, bucket, n in change.buckets:
            board[bucket] = board.get(bucket, 0) + n
        daily += [m for _, _, m, _ in change.daily if not m.startswith("stock_")]
    return fact, {k: v for k, v in board.items() if v}, daily


def test_online_dossier_through_every_status():
    fact, board, daily = run(
        [
            ev(1, EventType.SUBMITTED, to_status=1, actor="citizen", dimensions=DIMS),
            accepted(2, frm=1),
            ev(
                3,
                EventType.PROCESSING_STARTED,
                1,
                from_status=2,
                to_status=4,
                actor="o",
                due_at=T0 + timedelta(hours=10),
            ),
            ev(
                4,
                EventType.SUPPLEMENT_REQUESTED,
                2,
                from_status=4,
                to_status=5,
                actor="o",
                due_at=T0 + timedelta(hours=10),
            ),
            ev(
                5,
                EventType.PROCESSING_STARTED,
                3,
                from_status=5,
                to_status=4,
                actor="o",
                due_at=T0 + timedelta(hours=11),
            ),
            ev(6, EventType.FEE_REQUESTED, 4, from_status=4, to_status=6, actor="o", due_at=T0 + timedelta(hours=11)),
            ev(
                7,
                EventType.PROCESSING_STARTED,
                5,
                from_status=6,
                to_status=4,
                actor="o",
                due_at=T0 + timedelta(hours=11),
                payment_method="online",  # the fee paid through the gateway (issue 15)
                payment_amount=150_000,
                receipt_no="BL-1",
            ),
            ev(
                8,
                EventType.RESOLVED,
                6,
                from_status=4,
                to_status=9,
                actor="l",
                due_at=T0 + timedelta(hours=11),
                compliance="early",
                working_hours_used=1.0,
            ),
            ev(9, EventType.RETURNED, 7, from_status=9, to_status=10, actor="clerk"),
        ]
    )
    assert fact.status == 10 and fact.compliance == "early"
    assert fact.handler == "l"  # who decided it: the clerk handing the result over does not take it
    assert board == {"returned": 1}
    # Submitted online, then received for resolution when the counter accepted it.
    assert daily == [
        "submitted_online",
        "received",
        "fee_requested",
        "paid_online",
        "decided",
        "resolved_early",
        "resolved_centihours",
        "returned",
    ]


def test_duplicate_is_a_no_op_and_gap_is_rejected():
    first = project(None, accepted(1))
    assert project(first.fact, accepted(1)) is None
    with pytest.raises(Rejected, match="expected 2"):
        project(first.fact, ev(3, EventType.RETURNED, from_status=9, to_status=10, actor="c"))


def test_overdue_moves_bucket_and_pause_keeps_it():
    _fact, board, _ = run(
        [
            accepted(1, due_in_minutes=5),
            ev(2, EventType.OVERDUE, 6, due_at=T0 + timedelta(minutes=5), status=2),
        ]
    )
    assert board == {"processing_overdue": 1}
    _fact2, board2, _ = run(
        [
            accepted(1, due_in_minutes=5),
            ev(2, EventType.OVERDUE, 6, due_at=T0 + timedelta(minutes=5), status=2),
            ev(
                3,
                EventType.PROCESSING_STARTED,
                7,
                from_status=2,
                to_status=4,
                actor="o",
                due_at=T0 + timedelta(minutes=5),
            ),
            ev(
                4,
                EventType.SUPPLEMENT_REQUESTED,
                8,
                from_status=4,
                to_status=5,
                actor="o",
                due_at=T0 + timedelta(minutes=5),
            ),
        ]
    )
    assert board2 == {"paused_overdue": 1}


def test_event_from_wrong_status_is_rejected():
    first = project(None, accepted(1))
    with pytest.raises(Rejected, match="from status 4"):
        project(
            first.fact,
            ev(
                2,
                EventType.RESOLVED,
                from_status=4,
                to_status=9,
                actor="l",
                due_at=T0,
                compliance="late",
                working_hours_used=1,
            ),
        )


def test_unknown_dossier_without_dimensions_is_rejected():
    with pytest.raises(Rejected, match="unknown dossier"):
        project(None, ev(1, EventType.RETURNED, from_status=9, to_status=10, actor="c"))
