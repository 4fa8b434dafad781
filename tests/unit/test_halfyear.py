"""The half-year generator's inter-agency trips (liên thông) and how its own tally counts them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from deploy.demo.halfyear import AWAY, Dossier, generate, tally
from shared.local_time import VN

TAX = "000.00.40.H26"


def test_procedures_with_another_agencys_step_go_there_and_back():
    dossiers = generate(count=1500, seed=7)
    trips = [d for d in dossiers if any(h.get("action") == "send" for h in d.line["history"])]
    assert trips, "some dossiers of the land procedures"
    for d in trips:
        actions = [h.get("action") for h in d.line["history"] if h.get("action") in ("send", "send_back")]
        assert actions == ["send", "send_back"], d.line["code"]
        send = next(h for h in d.line["history"] if h.get("action") == "send")
        assert send["agency_id"] == TAX and d.line["procedure_code"] in ("1.013831", "1.013978")
    paused = [d for d in trips if d.line["procedure_code"] == "1.013978"]
    assert paused and all(any(s[0] == AWAY for s in d.timeline) for d in paused), "its step pauses the clock"
    ran = [d for d in trips if d.line["procedure_code"] == "1.013831"]
    assert ran and not any(s[0] == AWAY for d in ran for s in d.timeline), "its step lets the clock run"


def test_the_tally_counts_a_case_away_with_its_clock_paused_as_paused_not_overdue():
    at = datetime(2026, 3, 2, 9, 0, tzinfo=VN)
    due = at + timedelta(days=3)
    d = Dossier(line={}, channel="counter", agency_id="X")
    d.timeline = [(2, at, due), (4, at + timedelta(hours=1), due), (AWAY, at + timedelta(hours=2), due)]
    march = tally([d], date(2026, 3, 1), date(2026, 3, 31))  # its old due time passed while away
    assert (march["in_processing_within"], march.get("in_processing_overdue", 0), march["paused_total"]) == (1, 0, 1)
    back = datetime.combine(date(2026, 4, 1), time(9), VN)
    d.timeline.append((4, back, back + timedelta(days=40)))  # its due time moved past April
    april = tally([d], date(2026, 4, 1), date(2026, 4, 30))
    assert (april["carried_over"], april["in_processing_within"], april.get("paused_total", 0)) == (1, 1, 0)
