"""The dossier status graph of docs/domain.md: statuses, actions and the transitions they make.

Pure: no I/O. Used by intake (statuses 1-3) and resolution (4-10) so both refuse the
same moves with the same words.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

from shared.errors import Conflict


class Status(IntEnum):
    SUBMITTED = 1
    ACCEPTED = 2
    REFUSED = 3
    PROCESSING = 4
    SUPPLEMENT_REQUESTED = 5
    FEE_REQUESTED = 6
    WITHDRAWN = 7
    STOPPED = 8
    RESOLVED = 9
    RETURNED = 10


STATUS_NAMES_VI: dict[Status, str] = {
    Status.SUBMITTED: "Mới đăng ký",
    Status.ACCEPTED: "Được tiếp nhận",
    Status.REFUSED: "Không được tiếp nhận",
    Status.PROCESSING: "Đang xử lý",
    Status.SUPPLEMENT_REQUESTED: "Yêu cầu bổ sung",
    Status.FEE_REQUESTED: "Yêu cầu thực hiện nghĩa vụ tài chính",
    Status.WITHDRAWN: "Công dân yêu cầu rút hồ sơ",
    Status.STOPPED: "Dừng xử lý",
    Status.RESOLVED: "Đã xử lý xong",
    Status.RETURNED: "Đã trả kết quả",
}

TERMINAL = frozenset({Status.REFUSED, Status.WITHDRAWN, Status.STOPPED, Status.RETURNED})
PAUSED = frozenset({Status.SUPPLEMENT_REQUESTED, Status.FEE_REQUESTED})
# The clock runs in these: they are "in processing" on the board.
CLOCK_RUNNING = frozenset({Status.ACCEPTED, Status.PROCESSING})
# Accepted and not decided yet: the clock runs or is paused (an apology may be owed).
OPEN = CLOCK_RUNNING | PAUSED

# docs/domain.md, "Statuses": the only moves there are.
ALLOWED: dict[Status, frozenset[Status]] = {
    Status.SUBMITTED: frozenset({Status.ACCEPTED, Status.REFUSED, Status.SUPPLEMENT_REQUESTED, Status.WITHDRAWN}),
    Status.ACCEPTED: frozenset({Status.PROCESSING, Status.WITHDRAWN}),
    Status.PROCESSING: frozenset(
        {Status.SUPPLEMENT_REQUESTED, Status.FEE_REQUESTED, Status.STOPPED, Status.RESOLVED, Status.WITHDRAWN}
    ),
    Status.SUPPLEMENT_REQUESTED: frozenset(
        {Status.ACCEPTED, Status.PROCESSING, Status.REFUSED, Status.STOPPED, Status.WITHDRAWN}
    ),
    Status.FEE_REQUESTED: frozenset({Status.PROCESSING, Status.STOPPED, Status.WITHDRAWN}),
    Status.RESOLVED: frozenset({Status.RETURNED}),
    Status.REFUSED: frozenset(),
    Status.WITHDRAWN: frozenset(),
    Status.STOPPED: frozenset(),
    Status.RETURNED: frozenset(),
}


class Action(StrEnum):
    """What a person does; the URL segment of `POST /cases/{code}/{action}`."""

    ACCEPT = "accept"
    REFUSE = "refuse"
    START_PROCESSING = "start-processing"
    REQUEST_SUPPLEMENT = "request-supplement"
    RECORD_SUPPLEMENT = "record-supplement"
    REQUEST_FEE = "request-fee"
    RECORD_PAYMENT = "record-payment"
    STOP = "stop"
    RESOLVE = "resolve"
    RETURN_RESULT = "return-result"
    WITHDRAW = "withdraw"


ACTION_NAMES_VI: dict[Action, str] = {
    Action.ACCEPT: "Tiếp nhận",
    Action.REFUSE: "Từ chối tiếp nhận",
    Action.START_PROCESSING: "Bắt đầu xử lý",
    Action.REQUEST_SUPPLEMENT: "Yêu cầu bổ sung",
    Action.RECORD_SUPPLEMENT: "Ghi nhận bổ sung",
    Action.REQUEST_FEE: "Yêu cầu nộp phí",
    Action.RECORD_PAYMENT: "Ghi nhận đã nộp phí",
    Action.STOP: "Dừng xử lý",
    Action.RESOLVE: "Xử lý xong",
    Action.RETURN_RESULT: "Trả kết quả",
    Action.WITHDRAW: "Rút hồ sơ",
}

# (action, from status) -> to status. Supplement received before acceptance goes back
# to 2, during processing to 4: the phase decides, not the person.
_MOVES: dict[tuple[Action, Status], Status] = {
    (Action.ACCEPT, Status.SUBMITTED): Status.ACCEPTED,
    (Action.REFUSE, Status.SUBMITTED): Status.REFUSED,
    (Action.REFUSE, Status.SUPPLEMENT_REQUESTED): Status.REFUSED,
    (Action.START_PROCESSING, Status.ACCEPTED): Status.PROCESSING,
    (Action.REQUEST_SUPPLEMENT, Status.SUBMITTED): Status.SUPPLEMENT_REQUESTED,
    (Action.REQUEST_SUPPLEMENT, Status.PROCESSING): Status.SUPPLEMENT_REQUESTED,
    (Action.REQUEST_FEE, Status.PROCESSING): Status.FEE_REQUESTED,
    (Action.RECORD_PAYMENT, Status.FEE_REQUESTED): Status.PROCESSING,
    (Action.STOP, Status.PROCESSING): Status.STOPPED,
    # A paused case whose papers or fee never came is stopped (form 05); before acceptance it is refused.
    (Action.STOP, Status.SUPPLEMENT_REQUESTED): Status.STOPPED,
    (Action.STOP, Status.FEE_REQUESTED): Status.STOPPED,
    (Action.RESOLVE, Status.PROCESSING): Status.RESOLVED,
    (Action.RETURN_RESULT, Status.RESOLVED): Status.RETURNED,
}
for _s in (Status.SUBMITTED, Status.ACCEPTED, Status.PROCESSING, Status.SUPPLEMENT_REQUESTED, Status.FEE_REQUESTED):
    _MOVES[(Action.WITHDRAW, _s)] = Status.WITHDRAWN
assert all(to in ALLOWED[frm] for (_, frm), to in _MOVES.items()), "an action leaves the graph"

# Who may move a dossier in each phase. Before acceptance intake owns it: the clerk accepts or
# refuses, asks for a supplement and records it, the citizen withdraws. After acceptance it is
# resolution's, with these actions only (no refusal there: 5 -> 3 is an intake move).
PRE_ACCEPTANCE_ACTIONS = frozenset(
    {
        Action.ACCEPT,
        Action.REFUSE,
        Action.REQUEST_SUPPLEMENT,
        Action.RECORD_SUPPLEMENT,
        Action.WITHDRAW,
    }
)
RESOLUTION_ACTIONS = frozenset(
    {
        Action.START_PROCESSING,
        Action.REQUEST_SUPPLEMENT,
        Action.RECORD_SUPPLEMENT,
        Action.REQUEST_FEE,
        Action.RECORD_PAYMENT,
        Action.STOP,
        Action.RESOLVE,
        Action.RETURN_RESULT,
        Action.WITHDRAW,
    }
)


class TransitionRefused(Conflict):
    """An action the status graph does not allow from the current status."""

    def __init__(self, action: Action, current: Status, allowed: list[Action]):
        self.action, self.current, self.allowed = action, current, allowed
        names = ", ".join(a.value for a in allowed) or "—"
        super().__init__(
            f"Không thể '{ACTION_NAMES_VI[action]}' khi hồ sơ đang ở trạng thái "
            f"{int(current)} ({STATUS_NAMES_VI[current]}); thao tác được phép: {names}",
            f"Action '{action.value}' is not allowed in status {int(current)}; allowed actions: {names}",
            current_status=int(current),
            allowed_actions=[a.value for a in allowed],
        )


def target_status(
    action: Action, current: Status, *, accepted_before: bool, among: frozenset[Action] | None = None
) -> Status:
    """The status `action` moves a dossier to from `current`, or TransitionRefused.

    `accepted_before` tells the two supplement phases apart (5 -> 2 before acceptance,
    5 -> 4 after it). `among` limits the actions to those of the calling service.
    """
    if among is not None and action not in among:
        raise TransitionRefused(action, current, allowed_actions(current, accepted_before=accepted_before, among=among))
    if action is Action.RECORD_SUPPLEMENT and current is Status.SUPPLEMENT_REQUESTED:
        return Status.PROCESSING if accepted_before else Status.ACCEPTED
    to = _MOVES.get((action, current))
    if to is None:
        raise TransitionRefused(action, current, allowed_actions(current, accepted_before=accepted_before, among=among))
    return to


def allowed_actions(current: Status, *, accepted_before: bool, among: frozenset[Action] | None = None) -> list[Action]:
    """Actions possible from `current`, in the enum's order (optionally within `among`)."""
    out = []
    for action in Action:
        if among is not None and action not in among:
            continue
        if (action is Action.RECORD_SUPPLEMENT and current is Status.SUPPLEMENT_REQUESTED) or (
            action,
            current,
        ) in _MOVES:
            out.append(action)
    return out


def action_for(current: Status, to: Status, *, accepted_before: bool) -> Action | None:
    """The action that moves a dossier from `current` to `to` in its phase, or None when that
    phase has no such move (for replaying a recorded history through the same rules).

    The phase is `accepted_before`: intake's actions before acceptance, resolution's after.
    At most one action fits any pair, so the answer is unambiguous.
    """
    among = RESOLUTION_ACTIONS if accepted_before else PRE_ACCEPTANCE_ACTIONS
    for action in allowed_actions(current, accepted_before=accepted_before, among=among):
        if target_status(action, current, accepted_before=accepted_before) is to:
            return action
    return None


class OutOfSequence(Exception):
    """An event that breaks its dossier's sequence or status graph (the message says how)."""


def is_next(code: str, last_seq: int, status: int | None, seq: int, event_type: str, from_status: int | None) -> bool:
    """Whether an event of `code` is the next one for a reader that has applied up to `last_seq`,
    the dossier being in `status` (None: unknown): False for one already applied (a redelivery),
    OutOfSequence for one that skips a seq or moves from another status than the dossier's."""
    if seq <= last_seq:
        return False
    if seq != last_seq + 1:
        raise OutOfSequence(f"seq {seq} of {code} breaks the sequence: expected {last_seq + 1}")
    if from_status is not None and status is not None and from_status != status:
        raise OutOfSequence(f"{event_type} from status {from_status} but {code} is in {status}")
    return True
