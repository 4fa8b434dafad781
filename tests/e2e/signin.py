"""Credentials for staff endpoints in these tests: a centre-wide leader account from the `staff`
fixture once staff sign-in is on the branch, none before (the endpoints were open then)."""
from __future__ import annotations

import pytest


def staff_credentials(request: pytest.FixtureRequest, key: str = "leader") -> tuple[str, str] | None:
    try:
        staff = request.getfixturevalue("staff")
    except pytest.FixtureLookupError:
        return None
    return staff.username(key), staff.password(key)
