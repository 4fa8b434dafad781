"""A generated half-year of a district's dossiers in the shape of the seed meeting
(21,004 handed in; of these about 20,900 received for resolution and 20,500 resolved, the
rest in processing, nearly all on time), as legacy import lines, with the generator's own
tally of the period report. The dossiers spread over the shipped province: commune-level ones
over every ward and commune (some handed in at another commune's counter), the others at their
department or branch; inside the agency each is handed to an officer, sometimes passed to a
colleague for a later step, and approved by a leader before its decision where the procedure
says so. A procedure whose process has another agency's step (the tax office's, liên thông) goes
there and back, its clock running or paused as the step says.

    python -m deploy.demo.halfyear --out history.jsonl [--count 21004] [--seed 2022]

The tally is computed here, independently of the stats service, from each dossier's
timeline: the oracle the import test compares the service's report with. Times are placed
with the shared working calendar, and compliance is what the calendar says of them.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from services.intake.service.catalogue import SHIPPED_CATALOGUE as CATALOGUE
from services.intake.service.catalogue import read_catalogue
from shared.calendar import compliance_of, default_calendar
from shared.local_time import VN

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thu", "Ngọc", "Quang", "Thanh", "Xuân"]
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dung",
    "Giang",
    "Hà",
    "Hải",
    "Hùng",
    "Lan",
    "Linh",
    "Mai",
    "Nam",
    "Phương",
    "Quân",
    "Sơn",
    "Tâm",
    "Thảo",
    "Trang",
    "Tuấn",
    "Vân",
    "Yến",
]
OFFICERS = ["chuyenvien1", "chuyenvien2", "chuyenvien3"]
# (status, at, running due time after this step)
Step = tuple[int, datetime, datetime | None]
# In the timeline only: still status 4, but at another agency for a step whose clock pauses. Counted
# as a paused dossier (docs/decisions.md, "Between agencies") until the return, a (4, back, due) step.
AWAY = -4


@dataclass
class Dossier:
    line: dict
    channel: str
    agency_id: str
    compliance: str | None = None
    timeline: list[Step] = field(default_factory=list)


class Generator:
    def __init__(self, seed: int, start: date, end: date):
        self.rng, self.cal, self.start, self.end = random.Random(seed), default_calendar(), start, end
        catalogue = read_catalogue(CATALOGUE)
        self.procedures = [p.model_dump() for p in catalogue.procedures]
        self.communes = [a.id for a in catalogue.agencies if a.level == "commune"]
        # Civil status and certification (same-day, commune) are the bulk of a district's dossiers.
        self.weights = [
            6 if p["processing_hours"] == 0 else 3 if p["processing_hours"] <= 40 else 1 for p in self.procedures
        ]
        self.days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        self.days = [d for d in self.days if self.cal.is_working_day(d)]
        self.sequences: Counter = Counter()

    def _instant(self, day: date) -> datetime:
        minute = self.rng.randrange(0, 8 * 60)  # within office hours: 07:00-11:30, 13:30-17:00
        clock = time(7) if minute < 270 else time(13, 30)
        return datetime.combine(day, clock, VN) + timedelta(minutes=minute if minute < 270 else minute - 270)

    def _later(self, at: datetime, lo: float, hi: float) -> datetime:
        return self.cal.add_working_time(at, self.rng.uniform(lo, hi))

    def _resolve_time(self, start: datetime, due: datetime) -> datetime:
        """Early for most, on time for the rest, late for a few: the seed's 'nearly all on time'."""
        due_morning = datetime.combine(due.astimezone(VN).date(), time(7), VN)
        roll = self.rng.random()
        if roll < 0.004:
            return self._later(due, 0.5, 16)
        if roll < 0.70 and start < due_morning:
            return self.cal.add_working_time(
                start, self.rng.random() * self.cal.working_hours_between(start, due_morning)
            )
        base = max(start, due_morning)
        return self.cal.add_working_time(base, self.rng.random() * self.cal.working_hours_between(base, due))

    def dossier(self) -> Dossier:
        rng, cal = self.rng, self.cal
        p = rng.choices(self.procedures, self.weights)[0]
        online_share = 0.55 if p.get("online_level") == "toan_trinh" else 0.15
        channel = "online" if rng.random() < online_share else ("post" if rng.random() < 0.08 else "counter")
        received = self._instant(rng.choice(self.days))
        local = received.astimezone(VN).date()
        agency = receiving = rng.choice(p["agencies"])
        if "commune" in p["levels"] and channel != "online" and rng.random() < 0.08:
            receiving = rng.choice(self.communes)  # handed in at another commune's counter
        self.sequences[(receiving, local)] += 1
        code = f"{receiving}-{local:%y%m%d}-{self.sequences[(receiving, local)]:04d}"
        line = {"code": code, "procedure_code": p["code"], "agency_id": agency}
        if receiving != agency:
            line["receiving_agency_id"] = receiving
        line |= {"channel": channel, "applicant": self._applicant(), "history": []}
        d = Dossier(line, channel, agency)
        history = d.line["history"]

        def step(status: int, at: datetime, due: datetime | None, actor: str, reason: str | None = None):
            history.append({"status": status, "at": at.isoformat(), "actor": actor, "reason": reason})
            d.timeline.append((status, at, due))

        def act(what: dict, at: datetime, actor: str):
            """A hand-over or approval inside the agency: on the control slip, beside the counts."""
            history.append({**what, "at": at.isoformat(), "actor": actor})

        accepted = received
        if channel == "online":
            step(1, received, None, "citizen")
            accepted = self._later(received, 0.2, 6)
            if rng.random() < 0.012:
                step(3, accepted, None, "canbo.motcua", "Hồ sơ không đúng thành phần theo quy định")
                return d
        hours = (
            p["online_processing_hours"]
            if channel == "online" and p.get("online_processing_hours")
            else p["processing_hours"]
        )
        due = cal.due_time(accepted, hours, p.get("time_type", "working"))
        step(2, accepted, due, "canbo.motcua")
        if rng.random() < 0.004:
            step(7, self._later(accepted, 0.5, 8), None, "citizen", "Công dân rút hồ sơ")
            return d
        officer = rng.choice(OFFICERS)
        if p["process"]:  # a leader hands it to an officer first (by rule, or picking one)
            act({"action": "assign", "assignee": officer}, accepted + timedelta(minutes=1), "lanhdao")
        started = self._later(accepted, 0.1, 1)
        step(4, started, due, officer)
        if rng.random() < 0.003:
            step(8, self._later(started, 1, 8), None, "lanhdao", "Không đủ điều kiện giải quyết")
            return d
        if rng.random() < 0.04 and hours > 0:  # a supplement: the procedure's clock policy moves the due time
            paused = self._later(started, 0.5, 4)
            step(5, paused, due, "chuyenvien", "Bổ sung giấy tờ còn thiếu")
            resumed = self._later(paused, 4, 24)
            if p.get("clock_policy") == "restart":
                due = cal.restart(resumed, hours, p.get("time_type", "working"))
            else:
                due = cal.extend_for_pause(due, paused, resumed)
            step(4, resumed, due, "canbo.motcua")
            started = resumed
        trip = next(((i, s) for i, s in enumerate(p["process"]) if s.get("agency_id")), None)
        if trip is not None:  # liên thông: the holder sends it for the other agency's step, which sends it back
            index, other = trip
            sent = self._later(started, 0.5, 4)
            act({"action": "send", "step": index, "agency_id": other["agency_id"]}, sent, officer)
            if other.get("clock") == "pauses":
                back = self._later(sent, 2, 24)
                d.timeline.append((AWAY, sent, due))
                due = cal.extend_for_pause(due, sent, back)
                d.timeline.append((4, back, due))
            else:  # the clock runs: back well within the time left
                back = self._later(sent, 0, max(cal.working_hours_between(sent, due), 0) / 2)
            act({"action": "send_back"}, back, "canbo.thue")
            started = back
        resolved = max(self._resolve_time(started, due), started + timedelta(minutes=4))
        officer_steps = [i for i, s in enumerate(p["process"]) if s["role"] == "officer" and not s.get("agency_id")]
        if len(officer_steps) > 1 and rng.random() < 0.3:  # handed to a colleague for the next step
            colleague = rng.choice([o for o in OFFICERS if o != officer])
            act(
                {"action": "assign", "assignee": colleague, "step": officer_steps[1]},
                started + timedelta(minutes=1),
                officer,
            )
        if p["requires_approval"]:
            act({"action": "approve"}, resolved - timedelta(minutes=2), "lanhdao")
        d.compliance = cal.compliance(resolved, due)
        step(9, resolved, due, "lanhdao")
        returned = self._later(resolved, 0.5, 16)
        step(10, returned, None, "canbo.motcua")
        if rng.random() < 0.3:
            d.line["rating"] = rng.choices([5, 4, 3, 2, 1], [60, 28, 8, 3, 1])[0]
            d.line["rated_at"] = self._later(returned, 0.1, 8).isoformat()
        return d

    def _applicant(self) -> dict:
        rng = self.rng
        return {
            "name": f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
            "id_number": f"0{rng.randrange(10**10, 10**11)}",
            "phone": f"09{rng.randrange(10**7, 10**8)}",
        }


def generate(
    count: int = 21_004, seed: int = 2022, start: date = date(2026, 1, 1), end: date = date(2026, 6, 30)
) -> list[Dossier]:
    g = Generator(seed, start, end)
    dossiers = [g.dossier() for _ in range(count)]
    dossiers.sort(key=lambda d: d.timeline[0][1])
    return dossiers


def _state_at(d: Dossier, moment: datetime) -> Step | None:
    last = None
    for s in d.timeline:
        if s[1] < moment:
            last = s
    return last


def tally(dossiers: list[Dossier], start: date, end: date) -> dict[str, int]:
    """Form 06's columns in total, recounted from the timelines with no code of the stats service:
    received = accepted in the period; resolved = decided (9), or withdrawn (7) or stopped (8)
    after acceptance, judged against the due time in force when the clock stopped; in processing
    at the end = accepted and not resolved (paused included); the rest is beside the form
    (docs/decisions.md, "Form 06")."""
    t0, t1 = datetime.combine(start, time(0), VN), datetime.combine(end + timedelta(days=1), time(0), VN)
    out: Counter = Counter()
    for d in dossiers:
        accepted_at = next((at for status, at, _ in d.timeline if status == 2), None)
        if accepted_at is not None and t0 <= accepted_at < t1:
            out["received_online" if d.channel == "online" else "received_direct"] += 1
        first_status, first_at, _ = d.timeline[0]
        if first_status == 1 and d.channel == "online" and t0 <= first_at < t1:
            out["submitted_online"] += 1
        if accepted_at is not None and accepted_at < t0 and _running(d, t0):
            out["carried_over"] += 1
        due = None
        for i, (status, at, step_due) in enumerate(d.timeline):
            after_acceptance = accepted_at is not None and accepted_at <= at
            if t0 <= at < t1:
                if status == 9:
                    out[f"resolved_{d.compliance}"] += 1
                elif status in (7, 8) and after_acceptance:
                    previous = d.timeline[i - 1]
                    stopped = previous[1] if previous[0] in (5, 6, AWAY) else at
                    out[{7: "withdrawn", 8: "stopped"}[status]] += 1
                    out["resolved_" + compliance_of(stopped, due)] += 1
                elif status == 7:
                    out["withdrawn_before"] += 1
                elif status == 3:
                    out["refused"] += 1
            due = step_due if step_due is not None else due
        last = _state_at(d, t1)
        if last is None:
            continue
        status, at, due = last
        if status == 1 or (status == 5 and (accepted_at is None or accepted_at >= t1)):
            out["awaiting"] += 1
        elif status in (2, 4):
            out["in_processing_overdue" if due < t1 else "in_processing_within"] += 1
        elif status in (5, 6, AWAY):  # paused, or away with its clock paused: judged as it stopped
            overdue = due <= at
            out["in_processing_overdue" if overdue else "in_processing_within"] += 1
            out["paused_total"] += 1
            out["paused_overdue"] += overdue
    out["received_total"] = out["received_online"] + out["received_direct"] + out["carried_over"]
    out["resolved_total"] = out["resolved_early"] + out["resolved_on_time"] + out["resolved_late"]
    out["in_processing_total"] = out["in_processing_within"] + out["in_processing_overdue"]
    return dict(out)


def _running(d: Dossier, moment: datetime) -> bool:
    """Accepted and not resolved at `moment`: in processing, its clock running or paused."""
    state = _state_at(d, moment)
    return state is not None and state[0] in (2, 4, 5, 6, AWAY)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.demo.halfyear", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="the JSON-lines file to write")
    parser.add_argument("--count", type=int, default=21_004)
    parser.add_argument("--seed", type=int, default=2022)
    args = parser.parse_args(argv)
    dossiers = generate(args.count, args.seed)
    with open(args.out, "w", encoding="utf-8") as f:
        for i, d in enumerate(dossiers, 1):
            f.write(json.dumps(d.line, ensure_ascii=False) + "\n")
            if i % 1000 == 0 or i == len(dossiers):
                print(f"\r  {i:,}/{len(dossiers):,} dossiers written", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    figures = tally(dossiers, date(2026, 1, 1), date(2026, 6, 30))
    print(json.dumps({"file": args.out, "report_2026H1": figures}, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
