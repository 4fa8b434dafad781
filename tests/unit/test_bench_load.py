"""The benchmarks' load generator: the same data set for a seed, and events production could write."""

from bench.load import lifecycle_events, submission_bodies
from services.stats.domain.projection import project
from shared.events import parse_event


def test_same_seed_same_events_and_another_seed_others():
    first = list(lifecycle_events(1500, seed=5))
    assert first == list(lifecycle_events(1500, seed=5))
    assert first != list(lifecycle_events(1500, seed=6))
    assert len(first) == 1500


def test_each_dossier_in_seq_order_and_the_projection_applies_every_event():
    facts, last = {}, {}
    for code, seq, raw in lifecycle_events(1500, seed=5):
        assert seq == last.get(code, 0) + 1
        last[code] = seq
        change = project(facts.get(code), parse_event(raw))
        assert change is not None
        facts[code] = change.fact
    assert len(facts) > 200


def test_submission_bodies_are_repeatable():
    assert submission_bodies(50, seed=2) == submission_bodies(50, seed=2)
