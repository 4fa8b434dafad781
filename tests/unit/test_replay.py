"""Replaying an imported case: the same outcomes as live actions at those times, stopping at a refusal."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from services.resolution.domain.case import Case, RatingRefused, act, rate
from services.resolution.domain.replay import replay
from shared.calendar import default_calendar
from shared.events import EventType, ImportedHistory, ImportedStep
from shared.lifecycle import Action, Status

CAL = default_calendar()
ACCEPTED = datetime(2026, 1, 5, 1, 10, tzinfo=UTC)  # Monday 08:10 in Hà Nội


def case() -> Case:
    return Case(
        code="X-1",
        agency_id="000.00.31.H26",
        procedure_code="1.013831",
        channel="counter",
        status=Status.ACCEPTED,
        accepted_at=ACCEPTED,
        due_at=CAL.due_time(ACCEPTED, 40),
        processing_hours=40,
        time_type="working",
        clock_policy="pause",
        rule_version="v",
        last_seq=1,
    )


def step(status, hours, actor="cb"):
    return ImportedStep(to_status=status, at=ACCEPTED + timedelta(hours=hours), actor=actor)


def test_replay_equals_live_actions_at_the_recorded_times():
    steps = [step(4, 1), step(5, 2), step(4, 50), step(9, 60), step(10, 70)]
    done = replay(case(), ImportedHistory(source="s", steps=steps, rating=5), CAL)
    assert done.refused is None
    live, c = [], case()
    for action, s in zip(
        [
            Action.START_PROCESSING,
            Action.REQUEST_SUPPLEMENT,
            Action.RECORD_SUPPLEMENT,
            Action.RESOLVE,
            Action.RETURN_RESULT,
        ],
        steps,
        strict=False,
    ):
        o = act(c, action, actor="cb", reason=None, now=s.at, calendar=CAL)
        live.append(o)
        c = o.case
    assert [o for o, _ in done.outcomes[:-1]] == live
    rated, at = done.outcomes[-1]
    assert rated.event_type is EventType.RATED and rated.payload.score == 5 and at == steps[-1].at
    assert done.case.status is Status.RETURNED and done.case.rating == 5 and done.case.last_seq == 7
    assert done.case.due_at > case().due_at  # the supplement wait moved the due time (pause policy)


def test_a_refused_step_ends_the_replay_there():
    done = replay(case(), ImportedHistory(source="s", steps=[step(4, 1), step(10, 2), step(9, 3)]), CAL)
    assert done.case.status is Status.PROCESSING and done.case.last_seq == 2 and len(done.outcomes) == 1
    assert done.refused.startswith("step 2")


def test_a_rating_before_the_hand_over_is_not_recorded():
    done = replay(case(), ImportedHistory(source="s", steps=[step(4, 1)], rating=3), CAL)
    assert done.case.rating is None and done.refused.startswith("rating")


def test_rating_once_and_only_after_the_hand_over():
    returned = replace(case(), status=Status.RETURNED, last_seq=4)
    with pytest.raises(RatingRefused):
        rate(case(), 5, now=ACCEPTED)
    outcome = rate(returned, 5, now=ACCEPTED)
    assert outcome.event_type is EventType.RATED and outcome.case.last_seq == 5 and outcome.actor == "citizen"
    with pytest.raises(RatingRefused) as err:
        rate(outcome.case, 4, now=ACCEPTED)
    assert err.value.vi and "already" in err.value.en


def test_a_recorded_decision_is_kept_without_the_approval_the_old_system_did_not_record():
    from services.resolution.domain.case import DecisionNotReady
    from shared.events import ProcessStep

    gated = replace(
        case(),
        process=(
            ProcessStep(name="Thẩm định", role="officer", hours=32),
            ProcessStep(name="Ký", role="leader", hours=8),
        ),
        requires_approval=True,
    )
    done = replay(gated, ImportedHistory(source="s", steps=[step(4, 1), step(9, 20), step(10, 30)]), CAL)
    assert done.refused is None and done.case.status is Status.RETURNED
    with pytest.raises(DecisionNotReady):  # a live decision still needs them
        act(
            replace(gated, status=Status.PROCESSING),
            Action.RESOLVE,
            actor="cb",
            reason=None,
            now=ACCEPTED,
            calendar=CAL,
        )


def test_a_trip_to_another_agency_replays_as_the_live_send_and_send_back():
    from services.resolution.domain import interagency
    from tests.unit.test_interagency import T0, TAX
    from tests.unit.test_interagency import case as away_case

    start = away_case("pauses")
    sent_at, back_at = T0 + timedelta(hours=2), T0 + timedelta(days=2)
    steps = [
        ImportedStep(action="send", step=2, agency_id=TAX, at=sent_at, actor="cv.datdai"),
        ImportedStep(action="send_back", at=back_at, actor="cb.thue"),
    ]
    done = replay(start, ImportedHistory(source="s", steps=steps), CAL)
    assert done.refused is None
    sent = interagency.send(
        start, actor="cv.datdai", role="leader", actor_agency_id=start.agency_id, step=2, now=sent_at
    )
    back = interagency.send_back(
        sent.case, actor="cb.thue", role="officer", actor_agency_id=None, now=back_at, calendar=CAL
    )
    assert [o for o, _ in done.outcomes] == [sent, back]
    assert done.case.away_agency_id is None and done.case.due_at == CAL.extend_for_pause(start.due_at, sent_at, back_at)
    assert [(h.seq, h.assignee) for h in done.trips] == [
        (start.last_seq + 1, f"Cơ quan {TAX}"),
        (start.last_seq + 2, "officer_land"),
    ]


def test_a_trip_naming_another_agency_than_the_process_or_a_return_while_home_ends_the_replay():
    from tests.unit.test_interagency import T0
    from tests.unit.test_interagency import case as away_case

    wrong = ImportedStep(action="send", step=2, agency_id="000.00.99.H26", at=T0 + timedelta(hours=1), actor="cv")
    done = replay(away_case("runs"), ImportedHistory(source="s", steps=[wrong]), CAL)
    assert done.refused is not None and done.refused.startswith("step 1") and done.case.away_agency_id is None
    home = ImportedStep(action="send_back", at=T0 + timedelta(hours=1), actor="cb.thue")
    done = replay(away_case("runs"), ImportedHistory(source="s", steps=[home]), CAL)
    assert done.refused is not None and not done.outcomes
