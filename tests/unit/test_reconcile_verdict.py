"""Reconciliation compares stats with resolution at the same seq mark: a side behind is not a mismatch."""

from services.stats.domain.agreement import StatsSide, verdict


def test_same_mark_compares_the_fact_itself():
    assert verdict((4, 3), StatsSide(True, 3, 4, 4)) == "agree"
    assert verdict((4, 3), StatsSide(True, 3, 9, 4)) == "differ"  # a corrupt fact, steps intact


def test_stats_behind_waits_and_stats_ahead_compares_through_its_steps():
    assert verdict((9, 5), StatsSide(True, 4, 4, 4)) == "behind"
    assert verdict((9, 5), None) == "behind"
    assert verdict((9, 5), StatsSide(True, 6, 10, 9)) == "agree"  # resolution moved on after its answer
    assert verdict((9, 5), StatsSide(True, 6, 10, 4)) == "differ"


def test_a_case_resolution_has_not_opened_yet():
    assert verdict(None, StatsSide(True, 1, 2, 2)) == "behind"
    assert verdict(None, StatsSide(False, 1, 1, 1)) == "agree"  # never accepted: not resolution's
    assert verdict(None, None) == "agree"
