"""The command line: python -m shared.calendar due|days|info."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.calendar import default_calendar
from shared.calendar.cli import main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _default_office_hours(monkeypatch):
    monkeypatch.delenv("OFFICE_HOURS", raising=False)
    default_calendar.cache_clear()
    yield
    default_calendar.cache_clear()


def run(*argv: str) -> str:
    out = io.StringIO()
    assert main(list(argv), out=out) == 0
    return out.getvalue()


def line(text: str, prefix: str) -> str:
    found = [ln for ln in text.splitlines() if ln.startswith(prefix)]
    assert found, f"no line starting with {prefix!r} in:\n{text}"
    return found[0]


def test_due_across_tet():
    out = run("due", "2026-02-13T16:30", "--hours", "24")
    # Fri 13/2 0.5 h; Tết 14-22/2; Mon 23 8 h; Tue 24 8 h; Wed 25 7.5 h -> 16:30 = 09:30Z
    assert "Wed 2026-02-25 16:30" in line(out, "DUE")
    assert "2026-02-25T09:30:00Z" in line(out, "DUE")
    assert "(inside office hours)" in line(out, "Clock start")
    assert "Fri 13/02 0.5 h" in line(out, "Counted")
    assert "Tết Nguyên Đán" in out and "Tue 17/02/2026" in out
    assert "vn-2026.1+oh-0700-1130-1330-1700" in line(out, "Calendar")


def test_due_explains_a_moved_clock_start():
    out = run("due", "2026-03-10T11:45", "--hours", "8")
    start = line(out, "Clock start")
    assert "moved from Tue 10/03 11:45 to Tue 2026-03-10 13:30" in start
    assert "break" in start
    assert "Wed 2026-03-11 11:30" in line(out, "DUE")


def test_due_same_day_after_cutoff():
    out = run("due", "2026-03-10 15:30", "--hours", "0")
    assert "after 15:00" in line(out, "Rule")
    assert "Wed 2026-03-11 17:00" in line(out, "DUE")


@pytest.mark.parametrize(
    "argv",
    [
        ["--days", "15", "--calendar-days"],
        ["--hours", "360", "--time-type", "calendar"],
        ["--hours", "360", "--calendar-days"],
    ],
)
def test_due_calendar_days(argv):
    # Make-up Saturday 22/8/2026 + 15 days = Sunday 6/9 -> Monday 7/9 17:00.
    out = run("due", "2026-08-22T09:00", *argv)
    assert "15 calendar days" in line(out, "Procedure")
    assert "Sun 06/09/2026" in line(out, "Rule") and "pushed" in line(out, "Rule")
    assert "Mon 2026-09-07 17:00" in line(out, "DUE")


def test_due_with_utc_input():
    # 09:30Z = 16:30 local on Friday 6/3/2026.
    out = run("due", "2026-03-06T09:30Z", "--days", "3")
    assert "Fri 2026-03-06 16:30" in line(out, "Accepted")
    assert "Wed 2026-03-11 16:30" in line(out, "DUE")


def test_due_errors_are_reported(capsys):
    assert main(["due", "2026-03-10T10:00", "--hours", "25", "--calendar-days"], out=io.StringIO()) == 2
    assert "multiple of 24" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["due", "not-a-time", "--hours", "8"], out=io.StringIO())


def test_days_lists_reasons():
    out = run("days", "2026-02")
    assert "NON-WORKING" in line(out, "Mon 2026-02-16") and "Tết" in line(out, "Mon 2026-02-16")
    assert "working day" in line(out, "Mon 2026-02-23")
    assert "weekend" in line(out, "Sat 2026-02-14")
    # February 2026: 20 weekdays - 5 Tết days = 15 working days.
    assert line(out, "--").startswith("-- 15 working days, 13 non-working days")


def test_days_shows_make_up_saturday_and_swap():
    out = run("days", "2026-01", "--non-working")
    assert "làm bù" in line(out, "Sat 2026-01-10") and "working    " in line(out, "Sat 2026-01-10")
    assert "NON-WORKING" in line(out, "Fri 2026-01-02")
    assert not any(ln.startswith("Mon 2026-01-05") for ln in out.splitlines())  # ordinary day hidden


def test_info_lists_overrides():
    out = run("info")
    assert "vn-2026.1" in out and "2026-11-24" in out and "certainty=low" in out


def test_module_entry_point_with_office_hours_from_env():
    env = dict(os.environ, OFFICE_HOURS="08:00-12:00,13:00-17:00")
    proc = subprocess.run(
        [sys.executable, "-m", "shared.calendar", "due", "2026-03-10T12:15", "--hours", "8"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    # Lunch is 12:00-13:00 now: clock 13:00; Tue 4 h + Wed 08:00-12:00 4 h -> Wed 12:00.
    assert "Wed 2026-03-11 12:00" in line(proc.stdout, "DUE")
    assert "oh-0800-1200-1300-1700" in line(proc.stdout, "Calendar")
