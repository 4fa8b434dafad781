"""The per-year override file: the government's extra days off and make-up Saturdays."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType

__all__ = ["DAY_OFF", "DEFAULT_OVERRIDES_PATH", "WORKING_DAY", "DayOverride", "Overrides"]

DEFAULT_OVERRIDES_PATH = Path(__file__).resolve().parent.parent / "data" / "calendar" / "vn-overrides.toml"

DAY_OFF = "day_off"
WORKING_DAY = "working_day"
_KINDS = (DAY_OFF, WORKING_DAY)
_CERTAINTIES = ("high", "medium", "low")


@dataclass(frozen=True)
class DayOverride:
    date: date
    kind: str  # DAY_OFF or WORKING_DAY
    name: str
    source: str
    certainty: str
    note: str = ""

    @property
    def working(self) -> bool:
        return self.kind == WORKING_DAY


@dataclass(frozen=True)
class Overrides:
    version: str
    days: Mapping[date, DayOverride] = field(default_factory=dict)
    summaries: Mapping[int, str] = field(default_factory=dict)
    path: str | None = None

    @classmethod
    def empty(cls, version: str = "vn-none") -> Overrides:
        return cls(version=version, days=MappingProxyType({}), summaries=MappingProxyType({}))

    @classmethod
    def load(cls, path: str | Path = DEFAULT_OVERRIDES_PATH) -> Overrides:
        path = Path(path)
        try:
            with path.open("rb") as fh:
                raw = tomllib.load(fh)
        except FileNotFoundError:
            raise ValueError(f"calendar override file not found: {path}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"calendar override file {path} is not valid TOML: {exc}") from None
        return cls.from_dict(raw, path=str(path))

    @classmethod
    def from_dict(cls, raw: dict, path: str | None = None) -> Overrides:
        where = path or "<override data>"

        def bad(msg: str) -> ValueError:
            return ValueError(f"{where}: {msg}")

        if raw.get("schema") != 1:
            raise bad(f"unsupported schema {raw.get('schema')!r} (expected 1)")
        version = raw.get("version")
        if not isinstance(version, str) or not version.strip():
            raise bad("missing 'version' (a string such as 'vn-2026.1')")
        if "+" in version or any(c.isspace() for c in version):
            raise bad(f"version {version!r} must not contain '+' or spaces")
        years = raw.get("years", {})
        if not isinstance(years, dict):
            raise bad("'years' must be a table of year sections")
        days: dict[date, DayOverride] = {}
        summaries: dict[int, str] = {}
        for ykey, section in years.items():
            try:
                year = int(ykey)
            except ValueError:
                raise bad(f"year section [years.{ykey}] is not a year") from None
            if not isinstance(section, dict):
                raise bad(f"[years.{ykey}] must be a table")
            if isinstance(section.get("summary"), str):
                summaries[year] = section["summary"]
            for i, entry in enumerate(section.get("days", [])):
                label = f"[[years.{ykey}.days]] entry {i + 1}"
                if not isinstance(entry, dict):
                    raise bad(f"{label} must be a table")
                d = entry.get("date")
                if type(d) is not date:
                    raise bad(f"{label}: 'date' must be a TOML local date like 2026-01-10, got {d!r}")
                if d.year != year:
                    raise bad(f"{label}: date {d} is filed under year {year}")
                kind = entry.get("kind")
                if kind not in _KINDS:
                    raise bad(f"{label} ({d}): 'kind' must be one of {_KINDS}, got {kind!r}")
                for key in ("name", "source"):
                    if not isinstance(entry.get(key), str) or not entry[key].strip():
                        raise bad(f"{label} ({d}): '{key}' is required (say what the day is and where it comes from)")
                certainty = entry.get("certainty")
                if certainty not in _CERTAINTIES:
                    raise bad(f"{label} ({d}): 'certainty' must be one of {_CERTAINTIES}, got {certainty!r}")
                if d in days:
                    raise bad(f"{label}: date {d} is listed twice")
                unknown = set(entry) - {"date", "kind", "name", "source", "certainty", "note"}
                if unknown:
                    raise bad(f"{label} ({d}): unknown keys {sorted(unknown)}")
                days[d] = DayOverride(
                    date=d,
                    kind=kind,
                    name=entry["name"].strip(),
                    source=entry["source"].strip(),
                    certainty=certainty,
                    note=str(entry.get("note", "")).strip(),
                )
        return cls(
            version=version.strip(),
            days=MappingProxyType(dict(sorted(days.items()))),
            summaries=MappingProxyType(summaries),
            path=path,
        )
