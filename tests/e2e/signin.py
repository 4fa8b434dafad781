"""Credentials for staff endpoints in these tests: a centre-wide leader account from the `staff`
fixture (tests/conftest.py), so fuzzing and races get past sign-in into the use cases. Written
before sign-in landed; without the fixture it returns None (the endpoints were open then)."""

from __future__ import annotations

import pytest


def staff_credentials(request: pytest.FixtureRequest, key: str = "leader") -> tuple[str, str] | None:
    try:
        staff = request.getfixturevalue("staff")
    except pytest.FixtureLookupError:
        return None
    return staff.username(key), staff.password(key)
