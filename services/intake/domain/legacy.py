"""A dossier from a legacy system, one JSON line: its format and the checks of its history.

Pure. A line either becomes a `Plan` (what intake writes, and what it hands to resolution)
or a `LineError` that says why not, in Vietnamese and English, without personal data.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from services.intake.domain.dossier import Applicant
from shared.events import EVENT_FOR_STATUS, Channel, EventType, HistoryAction, ImportedStep, check_step_kind
from shared.lifecycle import STATUS_NAMES_VI, Status, action_for

MAX_STEPS = 100
# An actor is a staff account; a bare 9-12 digit number is an ID or phone number, which must not
# reach the events.
_LOOKS_PERSONAL = re.compile(r"^\+?\d{9,12}$")
_OUR_CODE = re.compile(r"^(\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2})-(\d{2})(\d{2})(\d{2})-(\d{4,9})$")


class LegacyStep(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: int | None = Field(None, ge=1, le=10, description="Absent for a hand-over, approval or trip")
    at: AwareDatetime
    actor: str | None = Field(None, min_length=1, max_length=100)
    reason: str | None = Field(None, max_length=2000)
    # After acceptance, a hand-over inside the agency (to `assignee`, at process `step`), an approval,
    # or a trip to another agency for process `step` (`send`, optionally naming that `agency_id`) and
    # its return (`send_back`).
    action: HistoryAction | None = None
    assignee: str | None = Field(None, min_length=1, max_length=100)
    step: int | None = Field(None, ge=0, le=29)
    agency_id: str | None = Field(None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _one_kind(self) -> LegacyStep:
        check_step_kind(self.status, self.action, self.assignee)
        return self


class LegacyDossier(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Letters, digits, '.', '_', '-': the code is a URL segment for tracking and a Kafka key.
    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    procedure_code: str = Field(min_length=1, max_length=40)
    # Where it was resolved and, when another commune took it in, where it was received; needed
    # only for a procedure several agencies perform (the catalogue's only performer otherwise).
    agency_id: str | None = Field(None, max_length=40)
    receiving_agency_id: str | None = Field(None, max_length=40)
    channel: Channel
    applicant: Applicant
    documents: list[Annotated[str, Field(min_length=1, max_length=300)]] = Field(default_factory=list, max_length=50)
    history: list[LegacyStep] = Field(min_length=1, max_length=MAX_STEPS)
    rating: int | None = Field(None, ge=1, le=5)
    rated_at: AwareDatetime | None = None


class LineError(Exception):
    def __init__(self, code: str, vi: str, en: str):
        super().__init__(en)
        self.code, self.vi, self.en = code, vi, en


@dataclass(frozen=True)
class IntakeStep:
    """One event intake writes for the dossier (seq = position + 1)."""

    event_type: EventType
    from_status: int | None
    to_status: int
    at: datetime
    actor: str
    reason: str | None


@dataclass(frozen=True)
class Plan:
    dossier: LegacyDossier
    intake_steps: list[IntakeStep]  # reception up to acceptance (or the end, if never accepted)
    later_steps: list[ImportedStep]  # after acceptance: resolution replays them
    rated_at: datetime | None

    @property
    def received_at(self) -> datetime:
        return self.intake_steps[0].at

    @property
    def status(self) -> int:
        """The last status intake itself records."""
        return self.intake_steps[-1].to_status

    @property
    def accepted_at(self) -> datetime | None:
        last = self.intake_steps[-1]
        return last.at if last.to_status == Status.ACCEPTED else None

    @property
    def refusal_reason(self) -> str | None:
        last = self.intake_steps[-1]
        return last.reason if last.to_status == Status.REFUSED else None


def parse_line(raw: bytes) -> LegacyDossier:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise LineError(
            "bad_json",
            f"Dòng không phải JSON hợp lệ ({type(exc).__name__})",
            f"Not valid JSON ({exc})" if isinstance(exc, json.JSONDecodeError) else "Not valid UTF-8 JSON",
        ) from None
    try:
        return LegacyDossier.model_validate(data)
    except ValidationError as exc:
        # The problem and where, never the value: it may be an ID number.
        where = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(dòng)'}: {e['msg']}" for e in exc.errors(include_input=False)[:5]
        )
        raise LineError("invalid_line", f"Dữ liệu không hợp lệ ({where})", f"Invalid dossier ({where})") from None


def _name(status: int) -> str:
    return f"{status} ({STATUS_NAMES_VI[Status(status)]})"


def plan(d: LegacyDossier, now: datetime) -> Plan:
    """Check the history against the status graph, phase by phase, and split it at acceptance."""
    first = d.history[0]
    if first.status not in (Status.SUBMITTED, Status.ACCEPTED):
        raise LineError(
            "bad_start",
            f"Bước 1 phải là tiếp nhận: trạng thái 1 hoặc 2, không phải {_name(first.status) if first.status else first.action}",
            f"Step 1 must be the reception, status 1 or 2, not {first.status or first.action}",
        )
    for n, step in enumerate(d.history, start=1):
        if step.at > now:
            raise LineError("future_time", f"Bước {n}: thời điểm ở tương lai", f"Step {n}: time is in the future")
        if n > 1 and step.at < d.history[n - 2].at:
            raise LineError(
                "time_order",
                f"Bước {n}: thời điểm sớm hơn bước trước",
                f"Step {n}: time is earlier than the step before",
            )
        if any(who and _LOOKS_PERSONAL.match(who) for who in (step.actor, step.assignee)):
            raise LineError(
                "personal_data",
                f"Bước {n}: người thực hiện phải là tài khoản cán bộ, không phải số định danh hay số điện thoại",
                f"Step {n}: the actor must be a staff account, not an ID or phone number",
            )
    intake: list[IntakeStep] = []
    later: list[ImportedStep] = []
    accepted = False
    prev: int | None = None
    for n, step in enumerate(d.history, start=1):
        actor = step.actor or "legacy"
        if step.action is not None:  # a hand-over, approval or trip: resolution's, after acceptance
            if not accepted:
                raise LineError(
                    "action_before_acceptance",
                    f"Bước {n}: giao xử lý, phê duyệt, chuyển liên thông chỉ có sau khi tiếp nhận",
                    f"Step {n}: an assignment, approval or inter-agency step can only come after acceptance",
                )
            later.append(
                ImportedStep(
                    at=step.at,
                    actor=actor,
                    reason=step.reason,
                    action=step.action,
                    assignee=step.assignee,
                    step=step.step,
                    agency_id=step.agency_id,
                )
            )
            continue
        assert step.status is not None  # LegacyStep: a status or an action
        if prev is not None and action_for(Status(prev), Status(step.status), accepted_before=accepted) is None:
            phase_vi, phase_en = ("sau", "after") if accepted else ("trước", "before")
            raise LineError(
                "impossible_transition",
                f"Bước {n}: không thể chuyển từ trạng thái {_name(prev)} sang {_name(step.status)} "
                f"{phase_vi} khi tiếp nhận",
                f"Step {n}: no move from status {prev} to {step.status} {phase_en} acceptance",
            )
        if accepted:
            later.append(ImportedStep(to_status=step.status, at=step.at, actor=actor, reason=step.reason))
        else:
            intake.append(IntakeStep(EVENT_FOR_STATUS[step.status], prev, step.status, step.at, actor, step.reason))
            accepted = step.status == Status.ACCEPTED
        prev = step.status
    rated_at = None
    if d.rating is not None or d.rated_at is not None:
        if prev != Status.RETURNED or d.rating is None:
            raise LineError(
                "rating_not_allowed",
                "Chỉ có đánh giá (kèm điểm) khi hồ sơ đã trả kết quả (trạng thái cuối là 10)",
                "A rating (with its score) is allowed only when the last status is 10 (returned)",
            )
        rated_at = d.rated_at or d.history[-1].at
        if rated_at < d.history[-1].at or rated_at > now:
            raise LineError(
                "time_order",
                "Thời điểm đánh giá phải sau khi trả kết quả và không ở tương lai",
                "rated_at must be after the hand-over and not in the future",
            )
    return Plan(d, intake, later, rated_at)


def our_code_sequence(code: str) -> tuple[str, date, int] | None:
    """(agency, day, seq) when `code` has our format `{agency}-{yyMMdd}-{seq:04d}`, else None."""
    m = _OUR_CODE.match(code)
    if not m:
        return None
    try:
        day = date(2000 + int(m[2]), int(m[3]), int(m[4]))
    except ValueError:
        return None
    return m[1], day, int(m[5])
