"""Command line: ``python -m shared.calendar due|days|info ...`` (for clerks and for checking by hand).

Times given without an offset are Asia/Ho_Chi_Minh local time (here only; the library API
refuses naive datetimes).
"""

from __future__ import annotations

import argparse
import calendar as _stdcal
import re
import sys
from datetime import UTC, date, datetime

from shared.settings import CalendarSettings

from . import default_calendar
from .engine import LOCAL_TZ, LOCAL_TZ_NAME, WorkingCalendar
from .office_hours import OfficeHours
from .overrides import DEFAULT_OVERRIDES_PATH, Overrides


def _parse_time(text: str) -> datetime:
    s = text.strip().replace(" ", "T", 1)
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"cannot read time {text!r}: use e.g. 2026-02-13T16:30 (local), 2026-02-13T09:30Z or 2026-02-13T16:30+07:00"
        ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=LOCAL_TZ)
    return dt


def _fmt_local(dt: datetime) -> str:
    return f"{dt:%a %Y-%m-%d %H:%M}"


def _fmt_utc(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fmt_hours(h: float) -> str:
    return f"{h:g} h"


def _calendar(args) -> WorkingCalendar:
    configured = default_calendar(CalendarSettings().office_hours)  # OFFICE_HOURS, as the services read it
    if args.office_hours is None and args.overrides is None:
        return configured
    oh = OfficeHours.parse(args.office_hours) if args.office_hours else configured.office_hours
    ov = Overrides.load(args.overrides) if args.overrides else Overrides.load(DEFAULT_OVERRIDES_PATH)
    return WorkingCalendar(office_hours=oh, overrides=ov)


def _cmd_due(args, out) -> int:
    cal = _calendar(args)
    time_type = "calendar" if args.calendar_days else args.time_type
    if args.hours is not None and args.days is not None:
        raise SystemExit("give --hours or --days, not both")
    if args.days is not None:
        hours = args.days * (24 if time_type == "calendar" else 8)
    elif args.hours is not None:
        hours = args.hours
    else:
        raise SystemExit("give the procedure's time: --hours H (working hours; 8 h = 1 day) or --days D")
    if isinstance(hours, float) and hours.is_integer():
        hours = int(hours)
    ex = cal.explain_due(args.accepted, hours, time_type)
    unit = "working hours" if time_type == "working" else "hours as calendar days"
    w = out.write
    w(f"Accepted     {_fmt_local(ex.accepted_local)} {LOCAL_TZ_NAME}  ({_fmt_utc(args.accepted)})\n")
    w(
        f"Procedure    {hours:g} {unit}"
        + (f" = {hours // 24:g} calendar days" if time_type == "calendar" else "")
        + "\n"
    )
    if ex.clock_start_reason:
        w(
            f"Clock start  moved from {ex.accepted_local:%a %d/%m %H:%M} to {_fmt_local(ex.clock_start_local)}: "
            f"{ex.clock_start_reason}\n"
        )
    else:
        w(f"Clock start  {_fmt_local(ex.clock_start_local)} (inside office hours)\n")
    w(f"Rule         {ex.rule}\n")
    if ex.counted:
        w("Counted      " + "; ".join(f"{d:%a %d/%m} {_fmt_hours(h)}" for d, h in ex.counted) + "\n")
    if ex.skipped:
        label = "Skipped    " if time_type == "working" else "Non-working"
        for i, info in enumerate(ex.skipped):
            w(f"{label if i == 0 else ' ' * len(label)}  {info.date:%a %d/%m/%Y}  {info.reason}\n")
    due_local = ex.due_local
    w(f"DUE          {_fmt_local(due_local)} {LOCAL_TZ_NAME}  ({_fmt_utc(ex.due_utc)})\n")
    w(f"Calendar     {ex.version}\n")
    return 0


def _cmd_days(args, out) -> int:
    cal = _calendar(args)
    spec = args.period.strip()
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})", spec):
        y, mth = int(m[1]), int(m[2])
        if not 1 <= mth <= 12:
            raise SystemExit(f"bad month in {spec!r}")
        start, end = date(y, mth, 1), date(y, mth, _stdcal.monthrange(y, mth)[1])
    elif m := re.fullmatch(r"(\d{4})", spec):
        start, end = date(int(m[1]), 1, 1), date(int(m[1]), 12, 31)
    elif m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", spec):
        start, end = date.fromisoformat(m[1]), date.fromisoformat(m[2])
    else:
        raise SystemExit(f"cannot read period {spec!r}: use YYYY-MM, YYYY or YYYY-MM-DD..YYYY-MM-DD")
    infos = cal.days(start, end)
    w = out.write
    for info in infos:
        if args.non_working and info.working and info.override is None:
            continue
        state = "working    " if info.working else "NON-WORKING"
        w(f"{info.date:%a %Y-%m-%d}  {state}  {info.reason}\n")
    n_work = sum(1 for i in infos if i.working)
    w(f"-- {n_work} working days, {len(infos) - n_work} non-working days; calendar {cal.version}\n")
    return 0


def _cmd_info(args, out) -> int:
    cal = _calendar(args)
    w = out.write
    w(f"Calendar version   {cal.version}\n")
    w(f"Office hours       {cal.office_hours}\n")
    w(f"Override file      {cal.overrides.path} (version {cal.data_version})\n")
    w(f"holidays package   {cal.holidays_version}\n")
    for d, ov in cal.overrides.days.items():
        w(f"  {d:%a %Y-%m-%d}  {ov.kind:<11}  certainty={ov.certainty:<6}  {ov.name}\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m shared.calendar",
        description="Vietnamese working calendar and due times (hạn trả). Times without an offset are "
        f"{LOCAL_TZ_NAME} local time.",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--office-hours", help='override office hours, e.g. "07:30-11:30,13:00-17:00"')
    common.add_argument("--overrides", help="another override file (TOML) instead of the shipped one")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("due", parents=[common], help="due time of a procedure accepted at a given time, and why")
    d.add_argument("accepted", type=_parse_time, help="acceptance time, e.g. 2026-02-13T16:30")
    d.add_argument("--hours", type=float, help="the procedure's time in hours (working: 8 h = 1 day; 0 = same day)")
    d.add_argument(
        "--days", type=float, help="the procedure's time in days (8 working hours or 24 calendar hours each)"
    )
    d.add_argument("--time-type", choices=("working", "calendar"), default="working")
    d.add_argument("--calendar-days", action="store_true", help="same as --time-type calendar")
    d.set_defaults(func=_cmd_due)

    ds = sub.add_parser("days", parents=[common], help="working / non-working days of a month or year, with reasons")
    ds.add_argument("period", help="YYYY-MM, YYYY or YYYY-MM-DD..YYYY-MM-DD")
    ds.add_argument("--non-working", action="store_true", help="list only non-working days and overridden days")
    ds.set_defaults(func=_cmd_days)

    i = sub.add_parser("info", parents=[common], help="calendar version, office hours and the override entries")
    i.set_defaults(func=_cmd_info)
    return p


def main(argv: list[str] | None = None, out=None) -> int:
    out = out if out is not None else sys.stdout
    args = build_parser().parse_args(argv)
    try:
        return args.func(args, out)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
