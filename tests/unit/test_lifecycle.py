"""The status graph of docs/domain.md: every allowed move is taken, every other one refused."""

import contextlib
import itertools

import pytest

from shared.lifecycle import (
    ALLOWED,
    Action,
    Status,
    TransitionRefused,
    action_for,
    allowed_actions,
    target_status,
)

# docs/domain.md, written out independently of the module: 1→2|3|5|7, 2→4|7, 4→5|6|8|9|7,
# 5→2|4|3|8|7, 6→4|8|7, 9→10.
GRAPH = {
    1: {2, 3, 5, 7},
    2: {4, 7},
    4: {5, 6, 8, 9, 7},
    5: {2, 4, 3, 8, 7},
    6: {4, 8, 7},
    9: {10},
    3: set(),
    7: set(),
    8: set(),
    10: set(),
}


def test_graph_matches_domain():
    assert {int(s): {int(t) for t in ts} for s, ts in ALLOWED.items()} == GRAPH


def _reachable_by_actions(current: Status, accepted_before: bool) -> set[int]:
    out = set()
    for action in Action:
        with contextlib.suppress(TransitionRefused):
            out.add(int(target_status(action, current, accepted_before=accepted_before)))
    return out


@pytest.mark.parametrize("status", list(Status))
def test_actions_reach_exactly_the_allowed_statuses(status):
    # Before and after acceptance together, the actions cover the whole graph and no more.
    reached = _reachable_by_actions(status, False) | _reachable_by_actions(status, True)
    assert reached == GRAPH[int(status)]


@pytest.mark.parametrize(
    "frm,action,accepted_before,to",
    [
        (1, Action.ACCEPT, False, 2),
        (1, Action.REFUSE, False, 3),
        (1, Action.REQUEST_SUPPLEMENT, False, 5),
        (1, Action.WITHDRAW, False, 7),
        (2, Action.START_PROCESSING, True, 4),
        (2, Action.WITHDRAW, True, 7),
        (4, Action.REQUEST_SUPPLEMENT, True, 5),
        (4, Action.REQUEST_FEE, True, 6),
        (4, Action.STOP, True, 8),
        (4, Action.RESOLVE, True, 9),
        (4, Action.WITHDRAW, True, 7),
        (5, Action.RECORD_SUPPLEMENT, False, 2),
        (5, Action.RECORD_SUPPLEMENT, True, 4),
        (5, Action.REFUSE, False, 3),
        (5, Action.STOP, True, 8),
        (5, Action.WITHDRAW, True, 7),
        (6, Action.RECORD_PAYMENT, True, 4),
        (6, Action.STOP, True, 8),
        (6, Action.WITHDRAW, True, 7),
        (9, Action.RETURN_RESULT, True, 10),
    ],
)
def test_every_allowed_transition(frm, action, accepted_before, to):
    assert target_status(action, Status(frm), accepted_before=accepted_before) == Status(to)


ALLOWED_PAIRS = {
    (1, "accept"),
    (1, "refuse"),
    (1, "request-supplement"),
    (1, "withdraw"),
    (2, "start-processing"),
    (2, "withdraw"),
    (4, "request-supplement"),
    (4, "request-fee"),
    (4, "stop"),
    (4, "resolve"),
    (4, "withdraw"),
    (5, "record-supplement"),
    (5, "refuse"),
    (5, "stop"),
    (5, "withdraw"),
    (6, "record-payment"),
    (6, "stop"),
    (6, "withdraw"),
    (9, "return-result"),
}


@pytest.mark.parametrize(
    "status,action", [(s, a) for s, a in itertools.product(Status, Action) if (int(s), a.value) not in ALLOWED_PAIRS]
)
def test_every_refused_transition_names_status_and_allowed_actions(status, action):
    with pytest.raises(TransitionRefused) as err:
        target_status(action, status, accepted_before=True)
    assert err.value.current == status
    assert f"{int(status)}" in err.value.en and f"{int(status)}" in err.value.vi
    for allowed in err.value.allowed:
        assert allowed.value in err.value.en
    assert {a.value for a in err.value.allowed} == {a for s, a in ALLOWED_PAIRS if s == int(status)}


def test_among_limits_to_the_services_actions():
    assert allowed_actions(Status.SUBMITTED, accepted_before=False, among=frozenset({Action.ACCEPT})) == [Action.ACCEPT]
    with pytest.raises(TransitionRefused):
        target_status(Action.WITHDRAW, Status.SUBMITTED, accepted_before=False, among=frozenset({Action.ACCEPT}))


@pytest.mark.parametrize(
    "frm,to,accepted_before,action",
    [
        (1, 2, False, Action.ACCEPT),
        (1, 3, False, Action.REFUSE),
        (1, 5, False, Action.REQUEST_SUPPLEMENT),
        (5, 2, False, Action.RECORD_SUPPLEMENT),
        (5, 3, False, Action.REFUSE),
        (1, 7, False, Action.WITHDRAW),
        (5, 7, False, Action.WITHDRAW),
        (2, 4, True, Action.START_PROCESSING),
        (2, 7, True, Action.WITHDRAW),
        (4, 5, True, Action.REQUEST_SUPPLEMENT),
        (5, 4, True, Action.RECORD_SUPPLEMENT),
        (4, 6, True, Action.REQUEST_FEE),
        (6, 4, True, Action.RECORD_PAYMENT),
        (4, 8, True, Action.STOP),
        (4, 9, True, Action.RESOLVE),
        (9, 10, True, Action.RETURN_RESULT),
        (6, 7, True, Action.WITHDRAW),
        (5, 7, True, Action.WITHDRAW),
    ],
)
def test_action_for_finds_the_move(frm, to, accepted_before, action):
    assert action_for(Status(frm), Status(to), accepted_before=accepted_before) is action


@pytest.mark.parametrize(
    "frm,to,accepted_before",
    [
        (5, 3, True),  # refusal is intake's, before acceptance only
        (5, 2, True),
        (5, 4, False),
        (2, 4, False),
        (1, 2, True),
        (4, 9, False),
        (9, 10, False),
        (10, 4, True),
        (1, 4, False),
        (2, 2, True),
    ],
)
def test_action_for_refuses_moves_outside_the_phase(frm, to, accepted_before):
    assert action_for(Status(frm), Status(to), accepted_before=accepted_before) is None


def test_every_graph_edge_has_an_action_in_some_phase():
    for frm, targets in GRAPH.items():
        for to in targets:
            assert any(action_for(Status(frm), Status(to), accepted_before=b) for b in (False, True)), (frm, to)
