"""Dossier codes: `{agency_id}-{yyMMdd}-{seq:04d}`, the sequence per agency and local day."""

from __future__ import annotations

from datetime import date

SEQ_DIGITS = 4  # at least; the 10,000th dossier of a day gets five


def code_prefix(agency_id: str, day: date) -> str:
    return f"{agency_id}-{day.year % 100:02d}{day.month:02d}{day.day:02d}-"  # yyMMdd, without strftime's cost


def format_code(agency_id: str, day: date, seq: int) -> str:
    if seq < 1:
        raise ValueError("sequence starts at 1")
    return f"{code_prefix(agency_id, day)}{seq:0{SEQ_DIGITS}d}"
