"""Staff's words sealed on events: they open with the ring that sealed them, for that dossier and
event type only; any other reader gets the fixed phrase, never an error."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from shared.event_text import EventTexts
from shared.events import EventType, encode, make_event, parse_owned_event
from shared.sealed_text import UNREADABLE, KeyRing, open_text
from shared.settings import EventTextSettings

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
WORDS = "Ông Nguyễn Văn Bình, CCCD 001099012345, thiếu bản sao sổ đỏ"
CONTEXT = b"000.00.31.H26-261201-0001\ndossier.supplement_requested"


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _ring(*ids: str) -> KeyRing:
    return KeyRing.parse(",".join(f"{i}:{_key()}" for i in ids))


def test_a_sealed_text_opens_with_its_ring_and_its_context():
    ring = _ring("k1")
    sealed = ring.seal(WORDS, CONTEXT)
    assert sealed.startswith("v1.k1.") and WORDS not in sealed and "Bình" not in sealed
    assert ring.unseal(sealed, CONTEXT) == WORDS
    assert ring.seal(WORDS, CONTEXT) != sealed, "a fresh nonce each time"


def test_another_ring_a_moved_or_tampered_text_reads_as_the_fixed_phrase():
    ring = _ring("k1")
    sealed = ring.seal(WORDS, CONTEXT)
    other_key_same_id = _ring("k1")
    assert open_text(other_key_same_id, sealed, CONTEXT) == UNREADABLE
    assert open_text(_ring("k2"), sealed, CONTEXT) == UNREADABLE  # a key id it does not hold
    assert open_text(None, sealed, CONTEXT) == UNREADABLE  # a reader without keys (stats)
    assert open_text(ring, sealed, b"000.00.31.H26-261201-0002\ndossier.supplement_requested") == UNREADABLE
    assert open_text(ring, sealed, b"000.00.31.H26-261201-0001\ndossier.stopped") == UNREADABLE
    head, body = sealed.rsplit(".", 1)
    flipped = head + "." + body[:-3] + ("A" if body[-3] != "A" else "B") + body[-2:]
    assert open_text(ring, flipped, CONTEXT) == UNREADABLE
    for garbage in ["", "v1", "v1.k1.", "v1.k1.!!!", "v2" + sealed[2:], "v1.k1.QUJD"]:
        assert open_text(ring, garbage, CONTEXT) == UNREADABLE, garbage


def test_rotation_keeps_old_texts_readable_until_their_key_is_dropped():
    old_key, new_key = _key(), _key()
    before = KeyRing.parse(f"2025:{old_key}")
    sealed_then = before.seal(WORDS, CONTEXT)
    rotated = KeyRing.parse(f"2026:{new_key},2025:{old_key}")
    assert rotated.seal(WORDS, CONTEXT).startswith("v1.2026."), "the first key seals"
    assert rotated.unseal(sealed_then, CONTEXT) == WORDS, "older keys still open"
    shredded = KeyRing.parse(f"2026:{new_key}")
    assert open_text(shredded, sealed_then, CONTEXT) == UNREADABLE, "dropping a key shreds what it sealed"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "at least one key"),
        ("k1", "keyid:base64key"),
        ("k1:%%%", "not base64"),
        ("k1:" + base64.b64encode(b"short").decode(), "16, 24 or 32 bytes"),
        ("bad id:" + base64.b64encode(bytes(32)).decode(), "key id"),
        ("k1:{0},k1:{0}".format(base64.b64encode(bytes(32)).decode()), "twice"),
    ],
)
def test_a_malformed_ring_is_refused_without_showing_a_key(text, words):
    with pytest.raises(ValueError, match=words) as caught:
        KeyRing.parse(text)
    assert base64.b64encode(bytes(32)).decode() not in str(caught.value)


def test_the_setting_checks_the_ring_and_falls_back_to_the_checkouts_own_key(monkeypatch):
    monkeypatch.setenv("EVENT_TEXT_KEYS", "k1:nonsense!")
    with pytest.raises(ValidationError):
        EventTextSettings()
    key = _key()
    monkeypatch.setenv("EVENT_TEXT_KEYS", f"k9:{key}")
    assert EventTextSettings().event_key_ring().sealing_id == "k9"
    monkeypatch.delenv("EVENT_TEXT_KEYS")
    local = EventTextSettings().event_key_ring()
    assert local.sealing_id == "local"
    assert EventTextSettings().event_key_ring().unseal(local.seal(WORDS, CONTEXT), CONTEXT) == WORDS


def _event(type_: EventType, payload: dict, code: str = "X-1", seq: int = 3):
    return make_event(
        type_, dossier_code=code, seq=seq, occurred_at=NOW, producer="resolution", correlation_id="c", payload=payload
    )


def test_events_leave_with_every_reason_sealed_and_open_at_intake_and_resolution_only():
    texts = EventTexts(_ring("k1"))
    events = [
        _event(EventType.STOPPED, {"from_status": 4, "to_status": 8, "actor": "cv", "reason": WORDS}),
        _event(EventType.APOLOGY_ISSUED, {"actor": "cv", "reason": WORDS, "new_appointment_at": NOW}),
        _event(
            EventType.SENT_TO_AGENCY,
            {"actor": "cv", "to_agency_id": "T", "step": 1, "step_name": "Thuế", "reason": WORDS},
        ),
        _event(
            EventType.BACK_FROM_AGENCY,
            {"actor": "cv", "from_agency_id": "T", "step": 1, "due_at": NOW, "reason": WORDS},
        ),
    ]
    for event in events:
        raw = encode(texts.seal(event))
        assert b"B\\u00ecnh" not in raw and "Bình".encode() not in raw and b"001099012345" not in raw, raw
        read = parse_owned_event(raw)  # what any consumer decodes, with no key: valid, not poison
        assert read.payload.reason is None and read.payload.reason_sealed
        assert texts.open(read).payload.reason == WORDS
        assert EventTexts(None).open(read).payload.reason == UNREADABLE  # stats, or after the key is dropped
        moved = parse_owned_event(raw.replace(b'"X-1"', b'"X-2"'))
        assert texts.open(moved).payload.reason == UNREADABLE, "bound to its dossier"


def test_an_imported_historys_steps_are_sealed_too():
    texts = EventTexts(_ring("k1"))
    step = {"to_status": 8, "at": NOW.isoformat(), "actor": "cv", "reason": WORDS}
    accepted = _event(
        EventType.ACCEPTED,
        {
            "from_status": 1,
            "to_status": 2,
            "actor": "clerk",
            "reason": "Đủ giấy tờ",
            "dimensions": {"agency_id": "A", "procedure_code": "P", "channel": "counter", "applicant_type": 0},
            "accepted_at": NOW,
            "deadline": {
                "due_at": NOW,
                "processing_hours": 8,
                "time_type": "working",
                "clock_policy": "pause",
                "rule_version": "r",
            },
            "imported": {"source": "old", "steps": [step]},
        },
    ).model_copy(update={"producer": "intake"})
    raw = encode(texts.seal(accepted))
    assert "Bình".encode() not in raw and "Đủ giấy tờ".encode() not in raw
    opened = texts.open(parse_owned_event(raw)).payload
    assert (opened.reason, opened.imported.steps[0].reason) == ("Đủ giấy tờ", WORDS)


def test_events_written_before_sealing_are_read_as_they_were():
    old = encode(_event(EventType.STOPPED, {"from_status": 4, "to_status": 8, "actor": "cv", "reason": "cũ"}))
    apology = encode(_event(EventType.APOLOGY_ISSUED, {"actor": "cv", "reason": "cũ", "new_appointment_at": NOW}))
    for raw in (old, apology):
        assert EventTexts(_ring("k1")).open(parse_owned_event(raw)).payload.reason == "cũ"
        assert EventTexts(None).open(parse_owned_event(raw)).payload.reason == "cũ"


def test_an_apology_without_words_is_poison_and_a_ringless_producer_keeps_them_home():
    with pytest.raises(ValidationError, match="reason"):
        _event(EventType.APOLOGY_ISSUED, {"actor": "cv", "new_appointment_at": NOW})
    stopped = _event(EventType.STOPPED, {"from_status": 4, "to_status": 8, "actor": "cv", "reason": WORDS})
    assert EventTexts(None).seal(stopped).payload.model_dump(include={"reason", "reason_sealed"}) == {
        "reason": UNREADABLE,
        "reason_sealed": None,
    }
