"""Decision 766's scoring: targets cap a score, missing inputs give no number, ranks tie, and the
national portal's periods (week, month, quarter, year) are the calendar ones."""

from __future__ import annotations

from datetime import date

import pytest

from services.stats.domain.quality import GROUPS, INDICATORS, Inputs, ranked, score_row
from services.stats.domain.report import period_containing


@pytest.mark.parametrize(
    ("kind", "day", "expected"),
    [
        ("week", date(2026, 12, 31), (date(2026, 12, 28), date(2027, 1, 3))),  # Thursday; the week crosses the year
        ("week", date(2026, 12, 28), (date(2026, 12, 28), date(2027, 1, 3))),
        ("month", date(2026, 2, 14), (date(2026, 2, 1), date(2026, 2, 28))),
        ("quarter", date(2026, 12, 4), (date(2026, 10, 1), date(2026, 12, 31))),
        ("quarter", date(2026, 5, 31), (date(2026, 4, 1), date(2026, 6, 30))),
        ("year", date(2026, 7, 1), (date(2026, 1, 1), date(2026, 12, 31))),
    ],
)
def test_periods_are_calendar_weeks_months_quarters_and_years(kind, day, expected):
    assert period_containing(kind, day) == expected


def test_a_rate_over_its_target_scores_the_full_points_and_nothing_divided_scores_nothing():
    row = score_row(
        Inputs(on_track=9, considered=10, late_or_overdue=1, rated_low_not_late=0, online_full=6, accepted_full=10)
    )
    assert row["indicators"]["online_dossiers"] == {"rate": 60.0, "numerator": 6, "denominator": 10, "score": 6.0}
    assert row["indicators"]["on_time"]["score"] == 18.0  # 90 % of 20 points, target 100 %
    assert row["indicators"]["dossier_satisfaction"]["score"] == 6.0  # 90 % reaches its 90 % target
    assert (row["score"], row["assessed_points"], row["score_percent"]) == (30.0, 32, 93.75)
    empty = score_row(Inputs(0, 0, 0, 0, 0, 0))
    assert (empty["score"], empty["assessed_points"], empty["score_percent"]) == (0, 0, None)
    assert all(g["score"] is None for g in empty["groups"].values())


def test_agencies_rank_by_the_share_of_assessed_points_ties_share_a_rank():
    rows = [{"key": k, "score_percent": p} for k, p in [("a", 50.0), ("b", 80.0), ("c", 50.0), ("d", None)]]
    assert [(r["key"], r["rank"]) for r in ranked(rows)] == [("b", 1), ("a", 2), ("c", 2), ("d", None)]


def test_six_groups_of_the_decision_and_every_missing_input_says_what_it_is():
    assert [g.points for g in GROUPS] == [18, 20, 12, 10, 18, 22]
    assert {i.group for i in INDICATORS} == {g.key for g in GROUPS}
    for i in INDICATORS:
        assert (i.missing_vi is None) == (i.missing_en is None), i.key


def test_online_payment_is_measured_from_the_fees_asked_for_and_paid_online():
    base = {"on_track": 0, "considered": 0, "late_or_overdue": 0, "rated_low_not_late": 0}
    row = score_row(Inputs(**base, online_full=0, accepted_full=0, with_fee=4, paid_online=3))
    assert row["indicators"]["online_payment"] == {"rate": 75.0, "numerator": 3, "denominator": 4, "score": 7.5}
    assert row["groups"]["payment"] == {"score": 7.5, "assessed_points": 10}
    assert next(i for i in INDICATORS if i.key == "online_payment").missing_vi is None
