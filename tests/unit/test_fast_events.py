"""stats' msgspec decoder agrees with pydantic's parse_owned_event: the same event for every type,
and for bad input the same BadEvent (so the same dead letters), field by field."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from itertools import islice
from uuid import UUID

import msgspec
import pytest
from pydantic import BaseModel

from bench.load import lifecycle_events
from services.stats.adapters.fast_events import EVENT_STRUCTS, decode_owned_event
from shared.events import BadEvent, EventType, encode, make_event, parse_owned_event
from tests.events import accepted_item

AT = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)


def _plain(value):
    """Either decoder's result as builtins, datetimes with their offset, to compare the two."""
    if isinstance(value, BaseModel):
        fields = {k: _plain(getattr(value, k)) for k in type(value).model_fields if k != "type"}
        return {"__type": getattr(value, "type", None), **fields}
    if isinstance(value, msgspec.Struct):
        fields = {k: _plain(getattr(value, k)) for k in value.__struct_fields__}
        return {"__type": getattr(value, "type", None), **fields}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _rare() -> list[bytes]:
    """The types the generated year lacks, and an accepted event with an imported history."""
    kinds = {
        EventType.APOLOGY_ISSUED: {"actor": "cv.a", "reason": "Chậm do thiếu hồ sơ", "new_appointment_at": AT},
        EventType.ASSIGNED: {
            "actor": "lanhdao",
            "assignee": "cv.b",
            "from_assignee": "cv.a",
            "step": 1,
            "step_name": "Thẩm định",
            "step_due_at": AT,
            "previous_step_on_time": True,
        },
        EventType.APPROVED: {"actor": "lanhdao"},
        EventType.SENT_TO_AGENCY: {
            "actor": "cv.a",
            "to_agency_id": "T1",
            "to_agency_name": "Chi cục Thuế",
            "step": 2,
            "step_name": "Xác định nghĩa vụ tài chính",
            "clock": "pauses",
        },
        EventType.BACK_FROM_AGENCY: {"actor": "cv.t", "from_agency_id": "T1", "step": 2, "due_at": AT},
    }
    events = [
        make_event(t, dossier_code="D-1", seq=3, occurred_at=AT, producer="resolution", correlation_id="c", payload=p)
        for t, p in kinds.items()
    ]
    accepted = accepted_item(
        "D-2",
        accepted_at=AT,
        due_at=AT + timedelta(days=3),
        agency="A",
        process=[{"name": "Thụ lý", "role": "officer", "hours": 8, "agency_id": "T1", "clock": "pauses"}],
        requires_approval=True,
    ).message
    raw = json.loads(encode(accepted))
    when = AT.isoformat()
    raw["payload"]["imported"] = {
        "source": "legacy",
        "steps": [
            {"to_status": 4, "at": when, "actor": "cv.a"},
            {"action": "assign", "assignee": "cv.b", "step": 0, "at": when, "actor": "lanhdao"},
        ],
        "rating": 5,
        "rated_at": when,
    }
    return [encode(e) for e in events] + [json.dumps(raw).encode()]


SAMPLES = [value for _, _, value in islice(lifecycle_events(3000), 3000)] + _rare()


def test_every_event_type_is_sampled_and_decoded_alike():
    seen = set()
    for raw in SAMPLES:
        fast, slow = decode_owned_event(raw), parse_owned_event(raw)
        assert isinstance(fast, msgspec.Struct), "the current schema takes the fast path"
        assert _plain(fast) == _plain(slow)
        seen.add(fast.type)
    assert seen == {t.value for t in EventType} == {t.value for t in EVENT_STRUCTS}
    assert any(json.loads(r)["payload"].get("imported") for r in SAMPLES)


def _outcome(decode, raw: bytes):
    try:
        event = _plain(decode(raw))
        if b'"event_id"' not in raw:
            event.pop("event_id")  # a fresh random id on either side
        return "ok", event
    except BadEvent as exc:
        return "bad", str(exc)


def _bad_values(value):
    """Values a field of this value's kind must not take, or that stretch its limits."""
    out = [None, [], {}, True, 0, -1, 11, 1.5, "", "x" * 2001, "1"]
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            out += [value + "x", value.upper()]
        else:  # naive, date-only, another offset, nonsense
            out += [
                when.replace(tzinfo=None).isoformat(),
                date(2025, 1, 1).isoformat(),
                value[:-1] + "9",
                "2025-13-01T00:00:00Z",
            ]
    if isinstance(value, int) and not isinstance(value, bool):
        out += [value + 100, str(value), float(value)]
    if isinstance(value, list):
        out += [value * 60, [None], [1]]
    return out


def _mutations(doc):
    """Every document with one field changed, removed or added, at every depth."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield {k: v for k, v in doc.items() if k != key}
            for bad in _bad_values(value):
                yield {**doc, key: bad}
            for inner in _mutations(value):
                yield {**doc, key: inner}
        yield {**doc, "national_id": "001203004567"}
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            for inner in _mutations(value):
                yield [*doc[:i], inner, *doc[i + 1 :]]


def _one_of_each() -> list[bytes]:
    firsts: dict[str, bytes] = {}
    for raw in SAMPLES:
        firsts.setdefault(json.loads(raw)["type"], raw)
    return list(firsts.values())


@pytest.mark.parametrize("raw", _one_of_each(), ids=lambda r: json.loads(r)["type"])
def test_bad_input_gets_the_same_verdict_and_reason(raw):
    doc, checked = json.loads(raw), 0
    for mutated in _mutations(doc):
        body = json.dumps(mutated).encode()
        assert _outcome(decode_owned_event, body) == _outcome(parse_owned_event, body), mutated
        checked += 1
    assert checked > 50


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000,
        b"\xff\xfe{",
        b"[1, 2]",
        b'{"type": "dossier.teleported", "seq": 1}',
        b'{"schema_version": 99}',
        b"",
    ],
)
def test_poison_gets_pydantics_reason(raw):
    with pytest.raises(BadEvent) as slow:
        parse_owned_event(raw)
    with pytest.raises(BadEvent) as fast:
        decode_owned_event(raw)
    assert str(fast.value) == str(slow.value)


def test_a_producer_that_does_not_own_the_type_is_refused_alike():
    doc = json.loads(SAMPLES[0])
    doc["producer"] = "resolution"  # a submission is intake's alone
    body = json.dumps(doc).encode()
    assert _outcome(decode_owned_event, body)[0] == "bad"
    assert _outcome(decode_owned_event, body) == _outcome(parse_owned_event, body)


def test_ids_keep_their_type():
    assert isinstance(decode_owned_event(SAMPLES[0]).event_id, UUID)
