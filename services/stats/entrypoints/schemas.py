"""The shapes of stats' answers, for the OpenAPI document and for clients (the routes' response models)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, create_model

from services.stats.adapters.runs import Run
from services.stats.domain.report import COLUMNS, COUNT_KEYS


class Filters(BaseModel):
    agency: str | None
    procedure: str | None
    channel: str | None


class Answer(BaseModel):
    as_of: str = Field(description="When it was read (ISO 8601)")
    day: str = Field(description="The local day it counts 'today' for")
    filters: Filters


class InProcessing(BaseModel):
    within_deadline: int
    overdue: int
    due_soon: int = Field(description="Within deadline with less than one working day left")
    total: int


class Paused(BaseModel):
    within_deadline: int
    overdue: int
    total: int


class ResolvedToday(BaseModel):
    early: int
    on_time: int
    late: int
    total: int


class ClosedToday(BaseModel):
    returned: int
    withdrawn: int
    refused: int
    stopped: int


class BoardFigures(BaseModel):
    received_today: int = Field(description="Accepted today: received for resolution (form 06)")
    submitted_online_today: int = Field(description="Submitted online today, before the counter's check")
    awaiting_acceptance: int = Field(description="Submitted online, waiting for the counter's check")
    in_processing: InProcessing
    paused: Paused
    resolved_today: ResolvedToday
    waiting_handover: int
    returned: int
    withdrawn: int
    refused: int
    stopped: int
    today: ClosedToday
    total_dossiers: int


class LiveBoardOut(Answer, BoardFigures):
    pass


class GroupRow(BoardFigures):
    key: str
    name: str
    section: str | None = Field(None, description="By level: province (departments, branches inside) or commune")
    section_name: str | None = None


class LiveGroupsOut(Answer):
    by: Literal["agency", "procedure", "channel", "level"]
    rows: list[GroupRow]


class DayFigures(BaseModel):
    day: str
    received: int
    resolved: int
    resolved_late: int


class DailyOut(Answer):
    days: list[DayFigures] = Field(description="Oldest first, days without dossiers included")


class OverdueRow(BaseModel):
    code: str
    agency_id: str
    agency_name: str | None
    procedure_code: str
    procedure_name: str | None
    channel: str
    status: int
    due_at: str
    days_overdue: float = Field(description="Working days past the due time")


class OverdueOut(Answer):
    total: int
    rows: list[OverdueRow]


class ReportColumn(BaseModel):
    key: str
    number: int = Field(description="The column's number on the form")
    vi: str
    en: str
    block: Literal["form", "of_which", "before_acceptance"] = Field(
        description="form: the form's own columns; of_which: breakdowns not added to them; "
        "before_acceptance: dossiers never received for resolution, beside the form"
    )


# One field per column of the form, from the same list the form is laid out with.
_ROW_FIELDS: dict[str, Any] = dict.fromkeys(COUNT_KEYS, (int, ...))
_ROW_FIELDS["on_time_rate"] = (float | None, Field(description="Percent resolved early or on time"))
ReportPart = create_model("ReportPart", key=(str | None, ...), name=(str, ...), **_ROW_FIELDS)
ReportRow = create_model(
    "ReportRow",
    __base__=ReportPart,
    parts=(
        list[ReportPart] | None,
        Field(None, description="By level: the agencies a department's row adds up (its own, its branches')"),
    ),
)
assert set(ReportPart.model_fields) == {"key", "name", *(k for k, *_ in COLUMNS)}


class ReportSection(BaseModel):
    key: str | None = Field(description="The field or level; None for rows whose events did not say")
    name: str
    rows: list[ReportRow]
    subtotal: dict[str, int | float | None]


class ReportOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    form: str
    title: str
    from_: date = Field(alias="from")
    to: date
    group_by: Literal["agency", "procedure", "channel", "field", "level"]
    as_of: str
    columns: list[ReportColumn]
    rows: list[ReportRow]
    sections: list[ReportSection] | None = Field(
        description="group_by field or level: the rows in sections (procedures by field, agencies by level), "
        "each with its subtotal; None otherwise"
    )
    total: ReportRow
    unaccounted: int = Field(description="Form 06's identity (3) - (7) - (11): always 0")


class IndicatorValue(BaseModel):
    rate: float | None = Field(description="Percent; None when there is nothing to divide")
    numerator: int
    denominator: int
    score: float | None = Field(description="min(rate / target, 1) x points")


class GroupScore(BaseModel):
    score: float | None = Field(description="Sum of the computed indicators' scores; None if none could be")
    assessed_points: float = Field(description="Points of the indicators that could be computed")


class QualityRow(BaseModel):
    key: str | None
    name: str
    rank: int | None = Field(None, description="Among the agencies, by score_percent (the total has none)")
    indicators: dict[str, IndicatorValue] = Field(description="The indicators the system's data computes")
    groups: dict[str, GroupScore]
    score: float = Field(description="Points reached")
    assessed_points: float = Field(description="Out of the points that could be assessed")
    score_percent: float | None = Field(description="score / assessed_points: what agencies are ranked by")
    average_rating: float | None = Field(description="Beside the index: average rating of 1-5")
    average_working_hours: float | None = Field(description="Beside the index: working hours per decided dossier")


class QualityGroup(BaseModel):
    key: str
    points: int
    vi: str
    en: str


class QualityIndicatorRule(BaseModel):
    key: str
    group: str
    points: float | None = Field(description="None: the group's points are not split among its indicators here")
    target: float
    vi: str
    en: str
    formula_vi: str
    formula_en: str
    source: str
    computed: bool = Field(description="False: an input is missing (missing_vi / missing_en say which)")
    missing_vi: str | None
    missing_en: str | None


class QualityOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    from_: date = Field(alias="from")
    to: date
    as_of: str
    decision: str
    groups: list[QualityGroup]
    indicators: list[QualityIndicatorRule]
    rows: list[QualityRow] = Field(description="Per agency, best first")
    total: QualityRow


class Timing(BaseModel):
    decided: int = Field(description="Decided (status 9) in the period")
    decided_late: int
    avg_working_hours: float | None = Field(description="Working hours used, pauses excluded: average")
    p90_working_hours: float | None = Field(description="... and 90th percentile")


class StaffAgency(BaseModel):
    agency_id: str
    agency_name: str
    officers: int = Field(description="Officers holding or having decided dossiers")
    in_hand: int = Field(description="In processing now, clock running or paused")
    overdue_in_hand: int
    not_taken_up: int = Field(description="Accepted, not yet taken up by an officer")
    decided: int
    decided_late: int


class StaffOfficer(Timing):
    agency_id: str
    agency_name: str
    handler: str = Field(description="The staff account")
    in_hand: int
    overdue_in_hand: int
    oldest_accepted_at: str | None


class StaffProcedure(Timing):
    agency_id: str
    agency_name: str
    procedure_code: str
    procedure_name: str


class HeldDossier(BaseModel):
    code: str
    agency_id: str
    agency_name: str
    procedure_code: str
    procedure_name: str
    handler: str | None = Field(description="None: not yet taken up by an officer")
    bucket: str
    accepted_at: str
    due_at: str
    working_days_held: float


class StaffingOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    from_: date = Field(alias="from")
    to: date
    as_of: str
    agency: str | None
    agencies: list[StaffAgency]
    officers: list[StaffOfficer]
    procedures: list[StaffProcedure]
    oldest: list[HeldDossier] = Field(description="The dossiers in hand accepted longest ago, oldest first")


class OnlineShare(BaseModel):
    online: int = Field(description="Accepted online")
    total: int = Field(description="Accepted, every channel")
    share: float | None = Field(description="Percent online")


class OnlineLevelRow(OnlineShare):
    level: Literal["toan_trinh", "mot_phan"]
    name: str


class OnlineAgencyRow(OnlineShare):
    agency_id: str
    agency_name: str
    procedures: int = Field(description="Procedures offered online that had dossiers")


class OnlineProcedureRow(OnlineShare):
    agency_id: str
    agency_name: str
    procedure_code: str
    procedure_name: str
    online_level: Literal["toan_trinh", "mot_phan"]
    lagging: bool = Field(description="Below the target")


class OnlineMonth(OnlineShare):
    month: str = Field(description="YYYY-MM")


class NotOffered(BaseModel):
    dossiers: int
    procedures: int


class OnlineOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    from_: date = Field(alias="from")
    to: date
    as_of: str
    agency: str | None
    target: float
    formula: dict[str, str]
    total: OnlineShare
    by_level: list[OnlineLevelRow]
    agencies: list[OnlineAgencyRow]
    procedures: list[OnlineProcedureRow]
    lagging: list[OnlineProcedureRow] = Field(description="Below the target, the most dossiers short of it first")
    months: list[OnlineMonth]
    not_offered_online: NotOffered = Field(description="Dossiers of procedures not offered online (left out)")


class MismatchCounts(BaseModel):
    board: int
    months: int = Field(description="Monthly counters that differ from the sum of their days")
    reports: int
    statuses: int


class ReconciliationOut(BaseModel):
    as_of: str
    scope: Literal["full", "changes"]
    generation: str = Field(description="The projection generation checked")
    mismatches: int = Field(description="Mismatches that persist (what the gauge and its alert carry)")
    new_mismatches: int = Field(description="Of those, the ones no earlier run had found")
    facts_changed: int | None = Field(description="scope changes: facts written since the last run")
    by_check: MismatchCounts
    periods_checked: int
    dossiers_compared_with_resolution: int | None
    differences_rechecked: int = Field(description="Status differences seen on the first pass and asked again")
    examples: list[dict[str, Any]] = Field(description="The first mismatches, each with its check and details")


class ReconcileIn(BaseModel):
    scope: Literal["full", "changes"] = Field(
        "full", description="full: everything; changes: what was written since the last run, and what it left open"
    )
    with_resolution: bool = Field(True, description="Also compare every dossier's status with resolution's")


class RunError(BaseModel):
    message_vi: str
    message_en: str


class RunOut(BaseModel):
    id: int
    scope: Literal["full", "changes"]
    with_resolution: bool
    requested_by: str = Field(description="The staff account that asked, or schedule / command")
    state: Literal["running", "done", "failed"]
    started_at: AwareDatetime
    finished_at: AwareDatetime | None
    result: ReconciliationOut | None = Field(description="When done")
    error: RunError | None = Field(description="When failed: why")


class ReconciliationStateOut(BaseModel):
    last: RunOut | None = Field(description="The last run that finished its checks")
    running: RunOut | None = Field(description="The run in progress, if any")


def run_out(run: Run) -> RunOut:
    return RunOut(**vars(run))
