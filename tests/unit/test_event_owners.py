"""Who may write each lifecycle event: a consumer refuses an event from a service that does not
own its type, whatever else is right about it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.events import BadEvent, EventType, encode, make_event, owners, parse_owned_event

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def _withdrawn(producer: str) -> bytes:
    event = make_event(
        EventType.WITHDRAWN,
        dossier_code="X-1",
        seq=2,
        occurred_at=NOW,
        producer=producer,
        correlation_id="c",
        payload={"from_status": 1, "to_status": 7, "actor": "citizen"},
    )
    return encode(event)


def test_owners_follow_who_holds_the_dossier():
    assert owners(EventType.ACCEPTED) == {"intake"}
    assert owners(EventType.RESOLVED) == owners(EventType.ASSIGNED) == {"resolution"}
    assert owners(EventType.WITHDRAWN) == {"intake", "resolution"}  # before and after acceptance


@pytest.mark.parametrize("producer", ["intake", "resolution"])
def test_an_owner_passes(producer):
    assert parse_owned_event(_withdrawn(producer)).producer == producer


@pytest.mark.parametrize("producer", ["stats", "test", "Resolution"])
def test_anyone_else_is_dead_lettered(producer):
    with pytest.raises(BadEvent, match="does not own"):
        parse_owned_event(_withdrawn(producer))
