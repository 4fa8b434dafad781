"""The sign-out record of staff.sessions.v1: what it carries, and what a consumer dead-letters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.auth.signouts import SESSIONS_GROUPS, SessionEnded, parse_session_ended
from shared.events import BadEvent


def test_a_sign_out_round_trips_and_carries_nothing_personal():
    ended = SessionEnded(session_id="abc123", expires_at=datetime(2030, 1, 1, tzinfo=UTC), producer="intake")
    assert parse_session_ended(ended.model_dump_json().encode()) == ended
    assert set(ended.model_dump()) == {"session_id", "expires_at", "producer"}


@pytest.mark.parametrize(
    "raw",
    [
        b"\xff{not json",
        b"[]",
        b'{"session_id": "", "expires_at": "2030-01-01T00:00:00+00:00", "producer": "intake"}',
        b'{"session_id": "s", "expires_at": "2030-01-01T00:00:00", "producer": "intake"}',  # no time zone
        b'{"session_id": "s", "expires_at": "2030-01-01T00:00:00Z", "producer": "intake", "username": "Nguyen Van A"}',
    ],
)
def test_malformed_sign_outs_are_bad_events_whose_reason_hides_the_input(raw):
    with pytest.raises(BadEvent, match="invalid session end") as caught:
        parse_session_ended(raw)
    assert "Nguyen" not in str(caught.value)


def test_each_service_reads_sign_outs_in_a_group_of_its_own():
    assert set(SESSIONS_GROUPS) == {"intake", "resolution", "stats", "notifier", "portal_sync"}
    assert len(set(SESSIONS_GROUPS.values())) == len(SESSIONS_GROUPS)
