"""A service's /metrics read the way Prometheus reads it (prometheus-client's own parser)."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families


class Scrape:
    def __init__(self, text: str):
        self.samples = [s for family in text_string_to_metric_families(text) for s in family.samples]

    def values(self, name: str, **labels: str) -> list[float]:
        """Every sample called `name` whose labels include `labels`."""
        return [s.value for s in self.samples if s.name == name and labels.items() <= s.labels.items()]

    def value(self, name: str, **labels: str) -> float:
        found = self.values(name, **labels)
        assert len(found) == 1, f"{name}{labels}: {len(found)} samples"
        return found[0]

    def labels(self, name: str, label: str) -> set[str]:
        return {s.labels[label] for s in self.samples if s.name == name and label in s.labels}


def scrape(base_url: str) -> Scrape:
    r = httpx.get(f"{base_url}/metrics", timeout=5, follow_redirects=False)
    assert r.status_code == 200, (r.status_code, r.headers.get("location"))
    return Scrape(r.text)
