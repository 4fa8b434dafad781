"""Form 02's deadline: by when the missing papers must come, and what happens when they do not.

Pure: the calendar and the time are handed in. Intake (before acceptance) and resolution (after
it) use the same rule, so a citizen gets the same time whoever asked for the papers
(docs/domain.md, "Supplements"; docs/decisions.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, Field

from shared.calendar import WORKING_DAY_HOURS
from shared.errors import InvalidRequest
from shared.lifecycle import Action, Status

# Decision: 10 working days from the request unless the clerk or officer sets another time
# (a setting of each service: INTAKE_SUPPLEMENT_WORKING_DAYS, RESOLUTION_SUPPLEMENT_WORKING_DAYS).
DEFAULT_WORKING_DAYS = 10
# The reason code the system records when the time passed; forms print its words (REASON_VI).
LAPSED_REASON = "supplement_not_provided"
REASON_VI = {
    LAPSED_REASON: "Quá thời hạn bổ sung, hoàn thiện hồ sơ theo Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ "
    "(mẫu 02) mà người nộp hồ sơ chưa bổ sung",
}
SYSTEM = "system"


@dataclass(frozen=True)
class Asked:
    """What a clerk or officer asks for on form 02: the papers by name, why, and by when (None: the default)."""

    missing_documents: list[str]
    reason: str | None
    due_at: datetime | None


DocumentName = Annotated[str, Field(min_length=1, max_length=300)]


class Form02In(BaseModel):
    """What a request for papers sends (intake's and resolution's APIs)."""

    missing_documents: list[DocumentName] = Field(
        default_factory=list, max_length=50, description="Names of the papers to bring (form 02), never their content"
    )
    reason: str | None = Field(None, max_length=2000, description="Why (printed on form 02, shown on the control slip)")
    supplement_due_at: AwareDatetime | None = Field(
        None,
        description="By when; default: the service's SUPPLEMENT_WORKING_DAYS working days from now. When it passes "
        "with the papers missing, the dossier is refused (before acceptance) or stopped (after it)",
    )

    def asked(self) -> Asked:
        return Asked(self.missing_documents, self.reason, self.supplement_due_at)


def default_due_at(calendar, requested_at: datetime, working_days: int) -> datetime:
    """`working_days` working days of office hours from the request (the calendar's due-time rule)."""
    return calendar.due_time(requested_at, working_days * WORKING_DAY_HOURS, "working")


def supplement_due_at(calendar, now: datetime, given: datetime | None, working_days: int) -> datetime:
    """The time asked for, or the default; InvalidRequest when the time asked for is not later than now."""
    if given is None:
        return default_due_at(calendar, now, working_days)
    if given <= now:
        raise InvalidRequest(
            "Hạn bổ sung hồ sơ phải sau thời điểm hiện tại",
            "The supplement deadline must be later than now",
            field="supplement_due_at",
        )
    return given


def missing_list(names: list[str]) -> list[str]:
    """The names of the missing papers, trimmed, blanks and repeats dropped, in the order given."""
    seen: dict[str, None] = {}
    for name in names:
        if name.strip():
            seen.setdefault(name.strip(), None)
    return list(seen)


def lapsed(status: Status, due_at: datetime | None, now: datetime) -> bool:
    """Whether a dossier waiting for papers has passed the time they had to come by."""
    return status is Status.SUPPLEMENT_REQUESTED and due_at is not None and due_at <= now


def lapse_action(accepted_before: bool) -> Action:
    """Before acceptance the dossier is refused (5 -> 3, form 03); after it processing stops (5 -> 8, form 05)."""
    return Action.STOP if accepted_before else Action.REFUSE


def reason_words(reason: str | None) -> str:
    """A recorded reason as a form prints it: the words of a system code, or the person's own."""
    return REASON_VI.get(reason or "", reason or "")
