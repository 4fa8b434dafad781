"""A sign-out at one service ends the session at all three (staff.sessions.v1, shared/auth/signouts.py):
the same cookie, copied before signing out, is refused everywhere within moments."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from deploy import dlt
from shared.auth.sessions import COOKIE_NAME
from shared.auth.signouts import SESSIONS_TOPIC
from shared.kafka import bounded, client_options
from tests.conftest import eventually
from tests.e2e.test_lifecycle_end_to_end import wait_for

pytestmark = pytest.mark.e2e
ACCOUNT = "officer_land"
QUICK_S = 5.0  # outbox relay woken at commit, consumers polling every 100 ms: about a second is usual


def sign_in(services, staff, where: str) -> str:
    """A new session signed in at `where`; the cookie's value."""
    r = httpx.post(
        f"{services[where]}/api/v1/session",
        json={"username": staff.username(ACCOUNT), "password": staff.password(ACCOUNT)},
        timeout=15,
    )
    assert r.status_code == 200, r.text
    return r.cookies[COOKIE_NAME]


def who_am_i(services, where: str, cookie: str) -> httpx.Response:
    """The signed-in account as `where` sees the cookie: what a replayed copy of it gets."""
    return httpx.get(f"{services[where]}/api/v1/session", headers={"Cookie": f"{COOKIE_NAME}={cookie}"}, timeout=10)


def sign_out(services, where: str, cookie: str) -> None:
    r = httpx.delete(f"{services[where]}/api/v1/session", headers={"Cookie": f"{COOKIE_NAME}={cookie}"}, timeout=10)
    assert r.status_code == 204, r.text


def refused_everywhere(services, cookie: str, others: list[str], timeout: float) -> float:
    """Seconds until every one of `others` answers 401 to the cookie (AssertionError past `timeout`)."""
    started = time.monotonic()
    for where in others:
        left = max(0.1, timeout - (time.monotonic() - started))
        refused = wait_for(
            lambda where=where: who_am_i(services, where, cookie),
            lambda r: r.status_code != 200,
            timeout=left,
            what=f"the signed-out session refused at {where}",
        )
        assert refused.status_code == 401, refused.text
        error = refused.json()["error"]
        assert "đăng nhập" in error["message_vi"] and "Sign-in" in error["message_en"]
    return time.monotonic() - started


def signed_in_everywhere(services, staff, where: str) -> str:
    cookie = sign_in(services, staff, where)
    for name in services:
        r = who_am_i(services, name, cookie)
        assert r.status_code == 200 and r.json()["account"]["username"] == staff.username(ACCOUNT), (name, r.text)
    return cookie


@pytest.fixture(scope="module")
def following(services, staff):
    """Every service has joined its sessions group: a first sign-out, at resolution, reaches the
    others (generous time here, for consumers that only just started; the tests below time it)."""
    cookie = signed_in_everywhere(services, staff, "resolution")
    sign_out(services, "resolution", cookie)
    assert who_am_i(services, "resolution", cookie).status_code == 401
    refused_everywhere(services, cookie, ["intake", "stats"], timeout=90)
    return services


def test_sign_out_at_intake_ends_the_session_at_resolution_and_stats(following, staff):
    services = following
    cookie = signed_in_everywhere(services, staff, "intake")
    other = signed_in_everywhere(services, staff, "intake")  # another session of the same account
    sign_out(services, "intake", cookie)
    assert who_am_i(services, "intake", cookie).status_code == 401, "ended at once where it was signed out"
    took = refused_everywhere(services, cookie, ["resolution", "stats"], timeout=30)
    print(f"sign-out at intake refused at resolution and stats after {took:.2f} s")
    assert took < QUICK_S, f"the sign-out took {took:.2f} s to reach resolution and stats"
    for name in services:  # only that session ended
        assert who_am_i(services, name, other).status_code == 200, name


def test_sign_out_at_stats_ends_the_session_at_intake_and_resolution(following, staff):
    services = following
    cookie = signed_in_everywhere(services, staff, "stats")
    sign_out(services, "stats", cookie)
    assert who_am_i(services, "stats", cookie).status_code == 401
    took = refused_everywhere(services, cookie, ["intake", "resolution"], timeout=30)
    print(f"sign-out at stats refused at intake and resolution after {took:.2f} s")
    assert took < QUICK_S, f"the sign-out took {took:.2f} s to reach intake and resolution"


# What no service can record: not JSON, a field missing, a wrong type, an unknown field.
MALFORMED = [
    b"\xff{not json",
    b'{"session_id": "x", "producer": "intake"}',
    b'{"session_id": "x", "expires_at": "tomorrow", "producer": "intake"}',
    b'{"session_id": "x", "expires_at": "2030-01-01T00:00:00+00:00", "producer": "intake", "username": "y"}',
]


async def test_malformed_sign_outs_are_dead_lettered_and_block_nothing(following, staff, bootstrap):
    services, run = following, uuid.uuid4().hex[:8]
    start = max([lt.offset + 1 for lt, _ in await dlt.read(bootstrap)], default=0)
    producer = AIOKafkaProducer(**client_options(bootstrap), enable_idempotence=True, acks="all")
    await producer.start()
    try:
        parts = sorted(await producer.partitions_for(SESSIONS_TOPIC))
        for p in parts:  # on every partition, so whichever instance reads it meets poison first
            for n, body in enumerate(MALFORMED):
                await producer.send_and_wait(SESSIONS_TOPIC, body, key=f"bad-{run}-{p}-{n}".encode(), partition=p)
    finally:
        await bounded(producer.stop(), 10, "producer stop")
    # A real sign-out behind the poison still reaches every service quickly.
    cookie = signed_in_everywhere(services, staff, "intake")
    sign_out(services, "intake", cookie)
    took = refused_everywhere(services, cookie, ["resolution", "stats"], timeout=30)
    print(f"sign-out behind the poison refused at resolution and stats after {took:.2f} s")
    assert took < QUICK_S, f"the sign-out took {took:.2f} s behind the poison"

    async def letters():
        got = [lt for lt, _ in await dlt.read(bootstrap, from_offset=start) if (lt.key or "").startswith(f"bad-{run}-")]
        return got if len(got) >= len(parts) * len(MALFORMED) * len(services) else None

    got = await eventually(letters, timeout=60, what="every malformed sign-out dead-lettered by every service")
    assert {(lt.service, lt.key) for lt in got} == {
        (service, f"bad-{run}-{p}-{n}") for service in services for p in parts for n in range(len(MALFORMED))
    }
    assert {(lt.original_topic, lt.kind) for lt in got} == {(SESSIONS_TOPIC, "bad_event")}
    assert all(lt.reason.startswith("invalid session end") for lt in got), {lt.reason for lt in got}
