"""Legacy dossier lines: the format, the history checks phase by phase, and the split at acceptance."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from services.intake.domain.catalogue import Procedure, version_on
from services.intake.domain.legacy import LineError, our_code_sequence, parse_line, plan
from shared.events import EventType

NOW = datetime(2026, 6, 1, tzinfo=UTC)
T = datetime(2026, 1, 5, 1, 10, tzinfo=UTC)  # Monday 08:10 in Hà Nội


def line(history, **extra) -> bytes:
    body = {
        "code": "LEGACY-0001",
        "procedure_code": "1.013831",
        "channel": "counter",
        "applicant": {"name": "Nguyễn Văn An", "id_number": "001203004567"},
        "history": [{"status": s, "at": (T + timedelta(hours=h)).isoformat(), "actor": "canbo.a"} for s, h in history],
        **extra,
    }
    return json.dumps(body, ensure_ascii=False).encode()


def planned(history, **extra):
    return plan(parse_line(line(history, **extra)), NOW)


def refused_with(code, history, **extra):
    with pytest.raises(LineError) as err:
        planned(history, **extra)
    assert err.value.code == code, err.value.en
    assert err.value.vi and err.value.en
    return err.value


def test_counter_dossier_accepted_at_once_hands_all_later_steps_to_resolution():
    p = planned([(2, 0), (4, 1), (9, 20), (10, 30)], rating=4)
    assert [s.event_type for s in p.intake_steps] == [EventType.ACCEPTED]
    assert [s.to_status for s in p.later_steps] == [4, 9, 10]
    assert p.status == 2 and p.accepted_at == T and p.rated_at == T + timedelta(hours=30)


def test_online_dossier_with_supplement_before_acceptance():
    p = planned([(1, 0), (5, 1), (2, 5), (4, 6), (5, 7), (4, 30), (9, 40)])
    assert [(s.event_type, s.from_status, s.to_status) for s in p.intake_steps] == [
        (EventType.SUBMITTED, None, 1),
        (EventType.SUPPLEMENT_REQUESTED, 1, 5),
        (EventType.ACCEPTED, 5, 2),
    ]
    assert [s.to_status for s in p.later_steps] == [4, 5, 4, 9]
    assert p.accepted_at == T + timedelta(hours=5)


@pytest.mark.parametrize(
    "history,status",
    [
        ([(1, 0), (3, 1)], 3),
        ([(1, 0), (7, 1)], 7),
        ([(1, 0), (5, 1), (7, 2)], 7),
        ([(1, 0), (5, 1), (3, 2)], 3),
        ([(1, 0)], 1),
    ],
)
def test_never_accepted_stays_with_intake(history, status):
    p = planned(history)
    assert p.status == status and p.later_steps == [] and p.accepted_at is None


def test_refusal_reason_is_kept():
    body = json.loads(line([(1, 0), (3, 1)]))
    body["history"][1]["reason"] = "Thiếu tờ khai"
    assert plan(parse_line(json.dumps(body).encode()), NOW).refusal_reason == "Thiếu tờ khai"


@pytest.mark.parametrize(
    "history",
    [
        [(1, 0), (4, 1)],  # processing before acceptance
        [(2, 0), (3, 1)],  # refusal after acceptance is not resolution's
        [(2, 0), (4, 1), (5, 2), (2, 3)],  # a supplement after acceptance returns to 4, not 2
        [(2, 0), (9, 1)],  # resolved without processing
        [(2, 0), (4, 1), (9, 2), (10, 3), (4, 4)],  # nothing after the hand-over
        [(2, 0), (2, 1)],
    ],
)
def test_impossible_transition_is_named(history):
    err = refused_with("impossible_transition", history)
    assert "Bước" in err.vi and "Step" in err.en


def test_first_step_must_be_the_reception():
    refused_with("bad_start", [(4, 0)])


def test_times_go_forward_and_not_into_the_future():
    refused_with("time_order", [(2, 5), (4, 1)])
    refused_with("future_time", [(2, 0), (4, 24 * 365)])
    with pytest.raises(LineError) as err:  # naive times are refused by the format
        parse_line(line([(2, 0)]).replace(b"+00:00", b""))
    assert err.value.code == "invalid_line"


def test_rating_only_after_the_hand_over():
    refused_with("rating_not_allowed", [(2, 0), (4, 1), (9, 2)], rating=5)
    refused_with("rating_not_allowed", [(2, 0), (4, 1), (9, 2), (10, 3)], rated_at=(T + timedelta(hours=4)).isoformat())
    refused_with("time_order", [(2, 0), (4, 1), (9, 2), (10, 3)], rating=5, rated_at=T.isoformat())


def test_bad_json_and_bad_fields_never_echo_the_value():
    assert pytest.raises(LineError, parse_line, b"{not json").value.code == "bad_json"
    bad = line([(2, 0)]).replace(b"001203004567", b"00120300456X")
    err = pytest.raises(LineError, parse_line, bad).value
    assert err.code == "invalid_line" and "applicant.id_number" in err.en and "00120300456X" not in err.en + err.vi
    assert pytest.raises(LineError, parse_line, line([(2, 0)], extra_field=1)).value.code == "invalid_line"


def test_an_actor_that_looks_like_an_id_number_is_refused():
    bad = line([(2, 0)]).replace(b'"canbo.a"', b'"001203004567"')
    assert pytest.raises(LineError, plan, parse_line(bad), NOW).value.code == "personal_data"


def test_our_code_format_is_recognised():
    assert our_code_sequence("000.00.31.H26-260105-0042") == ("000.00.31.H26", date(2026, 1, 5), 42)
    assert our_code_sequence("000.00.31.H26-260105-12345") == ("000.00.31.H26", date(2026, 1, 5), 12345)
    assert our_code_sequence("000.00.31.H26-261305-0042") is None  # no 13th month
    assert our_code_sequence("HS-2025-000123") is None


def test_a_code_must_fit_in_a_url_segment():
    assert (
        pytest.raises(LineError, parse_line, line([(2, 0)]).replace(b"LEGACY-0001", b"12/2025/HS")).value.code
        == "invalid_line"
    )


def test_catalogue_version_on_the_reception_day_or_the_earliest():
    def proc(version, day):
        return Procedure(
            code="P", name="p", agency_id="000.00.31.H26", processing_hours=8, version=version, effective_from=day
        )

    v1, v2 = proc("v1", date(2026, 1, 1)), proc("v2", date(2026, 7, 1))
    assert version_on([v2, v1], date(2026, 3, 1)) is v1
    assert version_on([v2, v1], date(2026, 7, 1)) is v2
    assert version_on([v2, v1], date(2025, 3, 1)) is v1  # before the catalogue: its earliest rules
    assert version_on([], date(2026, 3, 1)) is None


def test_trips_to_another_agency_are_handed_to_resolution_and_only_after_acceptance():
    body = json.loads(line([(2, 0), (4, 1)]))
    trips = [
        {"action": "send", "step": 2, "agency_id": "000.00.40.H26", "at": (T + timedelta(hours=2)).isoformat()},
        {"action": "send_back", "at": (T + timedelta(hours=9)).isoformat(), "actor": "cb.thue"},
    ]
    body["history"] += trips
    p = plan(parse_line(json.dumps(body).encode()), NOW)
    assert [(s.action, s.step, s.agency_id, s.actor) for s in p.later_steps[1:]] == [
        ("send", 2, "000.00.40.H26", "legacy"),
        ("send_back", None, None, "cb.thue"),
    ]
    early = json.loads(line([(1, 0)]))
    early["history"].append(trips[0])
    with pytest.raises(LineError) as err:
        plan(parse_line(json.dumps(early).encode()), NOW)
    assert err.value.code == "action_before_acceptance"
