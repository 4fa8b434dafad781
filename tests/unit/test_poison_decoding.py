"""Undecodable lifecycle messages are BadEvent for every reader (consumers and the stats rebuild)."""

from __future__ import annotations

import pytest

from shared.events import BadEvent, parse_event


@pytest.mark.parametrize(
    "raw, words",
    [
        (b"[" * 100_000, "nested too deeply"),  # was a RecursionError: it crashed the stats rebuild
        (b"\xff\xfe{", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"type": "dossier.teleported", "seq": 1}', "teleported"),
        (b'{"schema_version": 99}', "unknown schema_version"),
    ],
)
def test_poison_is_a_bad_event_with_a_reason(raw, words):
    with pytest.raises(BadEvent, match=words):
        parse_event(raw)


def test_reasons_carry_no_input_values():
    # Reasons go to logs and to dead-letter headers: a personal value sent by mistake must not.
    with pytest.raises(BadEvent) as caught:
        parse_event(b'{"type": "dossier.accepted", "seq": "001203004567"}')
    assert "001203004567" not in str(caught.value)
