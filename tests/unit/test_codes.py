from datetime import UTC, date, datetime

import pytest

from services.intake.domain.codes import format_code
from shared.local_time import local_day


def test_code_format():
    assert format_code("000.00.01.H26", date(2026, 9, 30), 12) == "000.00.01.H26-260930-0012"


def test_sequence_starts_at_one():
    with pytest.raises(ValueError):
        format_code("000.00.01.H26", date(2026, 9, 30), 0)


def test_day_is_local_vietnam_day():
    # 18:30 UTC on 29/9 is 01:30 on 30/9 in Hà Nội: the code carries the local day.
    assert local_day(datetime(2026, 9, 29, 18, 30, tzinfo=UTC)) == date(2026, 9, 30)
    assert local_day(datetime(2026, 9, 29, 16, 59, tzinfo=UTC)) == date(2026, 9, 29)
