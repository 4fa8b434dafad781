"""Sign-in on the real PostgreSQL: Basic and cookie, 401/403 answers, the verification cache,
and the accounts command (`make user`) and demo set (`make run`)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import Depends, FastAPI

from deploy.users import demo_accounts, ensure_demo, write_accounts
from shared.auth import MIGRATIONS, Account, Authenticator, Role, accounts, staff, throttle
from shared.auth.http import SECURE_COOKIE_NAME
from shared.auth.passwords import hash_password, verify_password
from shared.auth.routes import router as session_router
from shared.auth.sessions import COOKIE_NAME, SessionSigner
from shared.db import migrate
from shared.http import install_error_handlers

REPO = Path(__file__).resolve().parents[2]
LAND, POLICE = "000.00.31.H26", "000.00.09.H26"
pytestmark = pytest.mark.integration
LIMITS = throttle.Limits(account_failures=3, account_lock_s=600, address_failures=6, address_window_s=600)


class Clock:
    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
async def app_and_pool(fresh_database):
    pool = await asyncpg.create_pool(fresh_database, min_size=1, max_size=4)
    await migrate(pool, MIGRATIONS)
    async with pool.acquire() as conn:
        for account, password in [
            (Account("cv.datdai", Role.OFFICER, LAND), "officer-password"),
            (Account("canbo.motcua", Role.CLERK, None), "clerk-password"),
            (Account("lanhdao", Role.LEADER, None), "mật khẩu: Hà Nội"),
        ]:
            await accounts.upsert(conn, account, hash_password(password))
    app = FastAPI()
    install_error_handlers(app)
    clock = Clock()
    app.state.auth = Authenticator(
        lambda: pool,
        signer=SessionSigner(b"integration-test-secret", ttl_seconds=3600, idle_seconds=600),
        clock=clock,
        limits=LIMITS,
    )
    app.include_router(session_router)

    @app.get("/cases/{agency}")
    async def case(agency: str, account: Account = Depends(staff(Role.OFFICER, Role.LEADER))) -> dict:
        account.ensure_agency(agency, "C-1")
        return {"by": account.username}

    @app.post("/cases/{agency}/notes")
    async def note(agency: str, account: Account = Depends(staff(Role.OFFICER, Role.LEADER))) -> dict:
        return {"by": account.username}

    yield app, pool, clock
    await pool.close()


def client(app, base: str = "https://test") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base)


async def test_basic_credentials_roles_and_agencies(app_and_pool):
    app, _, _ = app_and_pool
    async with client(app) as c:
        none = await c.get(f"/cases/{LAND}")
        assert none.status_code == 401 and none.headers["www-authenticate"].startswith("Basic ")
        assert "đăng nhập" in none.json()["error"]["message_vi"] and none.json()["error"]["message_en"]
        wrong = await c.get(f"/cases/{LAND}", auth=("cv.datdai", "not-the-password"))
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Basic ")
        unknown = await c.get(f"/cases/{LAND}", auth=("nobody", "officer-password"))
        assert unknown.status_code == 401
        garbage = await c.get(f"/cases/{LAND}", headers={"Authorization": "Basic %%%"})
        assert garbage.status_code == 401 and garbage.json()["error"]["message_vi"]
        bearer = await c.get(f"/cases/{LAND}", headers={"Authorization": "Bearer x"})
        assert bearer.status_code == 401

        ok = await c.get(f"/cases/{LAND}", auth=("cv.datdai", "officer-password"))
        assert ok.status_code == 200 and ok.json() == {"by": "cv.datdai"}
        other = await c.get(f"/cases/{POLICE}", auth=("cv.datdai", "officer-password"))
        assert other.status_code == 403
        assert "thuộc cơ quan" in other.json()["error"]["message_vi"]
        leader = await c.get(f"/cases/{POLICE}", auth=("LanhDao", "mật khẩu: Hà Nội"))
        assert leader.status_code == 200, "UTF-8 password with a colon; username in any case"
        clerk = await c.get(f"/cases/{LAND}", auth=("canbo.motcua", "clerk-password"))
        assert clerk.status_code == 403 and clerk.json()["error"]["required_roles"] == ["leader", "officer"]


async def test_a_verified_basic_header_costs_microseconds_afterwards(app_and_pool):
    app, _, _ = app_and_pool
    async with client(app) as c:
        auth = ("cv.datdai", "officer-password")
        started = time.perf_counter()
        assert (await c.get(f"/cases/{LAND}", auth=auth)).status_code == 200
        first = time.perf_counter() - started
        started = time.perf_counter()
        for _ in range(100):
            assert (await c.get(f"/cases/{LAND}", auth=auth)).status_code == 200
        per_request = (time.perf_counter() - started) / 100
    # Argon2 alone takes tens of ms; cached requests are the framework's cost only.
    assert first > 0.01 and per_request < first / 5, (first, per_request)


async def test_session_cookie_sign_in_use_expiry_and_sign_out(app_and_pool):
    app, _pool, clock = app_and_pool
    async with client(app) as c:
        bad = await c.post("/api/v1/session", json={"username": "cv.datdai", "password": "nope-nope"})
        assert bad.status_code == 401 and not bad.headers["www-authenticate"].startswith("Basic"), (
            "no browser password dialog for the sign-in form"
        )
        signed = await c.post("/api/v1/session", json={"username": "CV.DatDai", "password": "officer-password"})
        assert signed.status_code == 200, signed.text
        assert signed.json()["account"] == {
            "username": "cv.datdai",
            "role": "officer",
            "role_name": "chuyên viên xử lý",
            "agency_id": LAND,
            "full_name": None,
        }
        cookie = signed.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=3600" in cookie
        assert (await c.get(f"/cases/{LAND}")).json() == {"by": "cv.datdai"}, "the cookie signs requests in"
        assert (await c.get(f"/cases/{POLICE}")).status_code == 403
        assert (await c.get("/api/v1/session")).json()["account"]["username"] == "cv.datdai"

        token = c.cookies[SECURE_COOKIE_NAME]
        async with client(app) as other:
            tampered = await other.get(f"/cases/{LAND}", headers={"Cookie": f"{SECURE_COOKIE_NAME}={token[:-3]}abc"})
            assert tampered.status_code == 401, "a tampered cookie is no sign-in"
            clock.now += 601
            expired = await other.get(f"/cases/{LAND}", headers={"Cookie": f"{SECURE_COOKIE_NAME}={token}"})
            assert expired.status_code == 401, "idle longer than allowed"
            clock.now -= 601

        out = await c.delete("/api/v1/session")
        assert out.status_code == 204 and 'dvc_session=""' in out.headers["set-cookie"]
        assert SECURE_COOKIE_NAME not in c.cookies
        who = await c.get("/api/v1/session")
        assert who.status_code == 401 and who.json()["error"]["message_en"]
        async with client(app) as thief:  # a copy of the cookie taken before the sign-out
            replayed = await thief.get(f"/cases/{LAND}", headers={"Cookie": f"{SECURE_COOKIE_NAME}={token}"})
            assert replayed.status_code == 401, "sign-out ended the session on the server"


async def test_the_cookie_is_secure_over_tls_and_plain_http_signs_in_on_the_loopback_only(app_and_pool):
    app, _, _ = app_and_pool
    right = {"username": "cv.datdai", "password": "officer-password"}
    async with client(app) as tls:
        cookie = (await tls.post("/api/v1/session", json=right)).headers["set-cookie"]
        assert cookie.startswith("__Host-dvc_session=") and "Secure" in cookie and "Path=/" in cookie
    async with client(app, "http://192.0.2.10") as plain:
        refused = await plain.post("/api/v1/session", json=right)
        assert refused.status_code == 403 and "HTTPS" in refused.json()["error"]["message_vi"]
    async with client(app, "http://127.0.0.1:8001") as loopback:
        cookie = (await loopback.post("/api/v1/session", json=right)).headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE_NAME}=") and "Secure" not in cookie


async def test_a_cookie_signed_change_must_come_from_our_own_pages(app_and_pool):
    app, _, _ = app_and_pool
    async with client(app) as c:
        await c.post("/api/v1/session", json={"username": "cv.datdai", "password": "officer-password"})
        url = f"/cases/{LAND}/notes"
        assert (await c.post(url, headers={"Origin": "http://test"})).status_code == 200
        assert (await c.post(url, headers={"Origin": "http://test:8002"})).status_code == 200, "cookies span ports"
        assert (await c.post(url, headers={"Referer": "http://test/desk"})).status_code == 200
        for hostile in ({"Origin": "https://evil.example"}, {"Origin": "null"}, {}):
            r = await c.post(url, headers=hostile)
            assert r.status_code == 403, hostile
            assert "chính trang của hệ thống" in r.json()["error"]["message_vi"]
        assert (await c.get(f"/cases/{LAND}")).status_code == 200, "reading needs no Origin"
        basic = await c.post(url, auth=("cv.datdai", "officer-password"), headers={"Cookie": ""})
        assert basic.status_code == 200, "Basic credentials are no browser's ambient authority"


async def test_a_session_in_use_is_renewed_and_one_left_idle_ends(app_and_pool):
    app, _, clock = app_and_pool
    async with client(app) as c:
        await c.post("/api/v1/session", json={"username": "cv.datdai", "password": "officer-password"})
        for _ in range(6):  # an hour of work, a request every 9 minutes: past the 10-minute idle end
            clock.now += 540
            r = await c.get(f"/cases/{LAND}")
            assert r.status_code == 200 and SECURE_COOKIE_NAME in r.headers.get("set-cookie", ""), "renewed"
        clock.now += 601
        assert (await c.get(f"/cases/{LAND}")).status_code == 401


async def test_wrong_sign_ins_lock_the_account_and_the_address_until_a_leader_lifts_it(app_and_pool):
    app, pool, _ = app_and_pool
    wrong = {"username": "cv.datdai", "password": "not-the-password"}
    right = {"username": "cv.datdai", "password": "officer-password"}
    async with client(app) as c:
        for _ in range(LIMITS.account_failures):
            assert (await c.post("/api/v1/session", json=wrong)).status_code == 401
        locked = await c.post("/api/v1/session", json=right)
        assert locked.status_code == 429, "locked: even the right password waits"
        assert int(locked.headers["retry-after"]) > 500
        error = locked.json()["error"]
        assert "sai quá nhiều lần" in error["message_vi"] and "Too many wrong sign-ins" in error["message_en"]
        basic = await c.get(f"/cases/{LAND}", auth=("cv.datdai", "officer-password"))
        assert basic.status_code == 429, "Basic credentials go through the same lock"
        # A second instance (its own process state, the same database) sees the lock.
        second = FastAPI()
        install_error_handlers(second)
        second.state.auth = Authenticator(lambda: pool, signer=SessionSigner(b"integration-test-secret"), limits=LIMITS)
        second.include_router(session_router)
        async with client(second) as c2:
            assert (await c2.post("/api/v1/session", json=right)).status_code == 429

        officer = await c.delete("/api/v1/staff/cv.datdai/lock", auth=("cv.datdai", "officer-password"))
        assert officer.status_code in (403, 429), "only a leader lifts a lock"
        lifted = await c.delete("/api/v1/staff/cv.datdai/lock", auth=("lanhdao", "mật khẩu: Hà Nội"))
        assert lifted.status_code == 200 and lifted.json()["was_locked"] is True, lifted.text
        assert (await c.post("/api/v1/session", json=right)).status_code == 200

        # The address: wrong sign-ins under any names add up, then the address waits.
        for i in range(LIMITS.address_failures - LIMITS.account_failures):
            assert (await c.post("/api/v1/session", json={"username": f"doan.{i}", "password": "x"})).status_code == 401
        assert (await c.post("/api/v1/session", json=right)).status_code == 429


async def test_a_flood_of_bogus_credentials_is_refused_beyond_the_argon2_queue(app_and_pool):
    _, pool, _ = app_and_pool
    app = FastAPI()
    install_error_handlers(app)
    roomy = throttle.Limits(account_failures=1000, address_failures=1000)
    app.state.auth = Authenticator(lambda: pool, signer=SessionSigner(b"integration-test-secret"), limits=roomy)
    app.include_router(session_router)
    async with client(app) as c:
        flood = await asyncio.gather(
            *(c.post("/api/v1/session", json={"username": f"bogus.{i}", "password": "x" * 12}) for i in range(60))
        )
        codes = Counter(r.status_code for r in flood)
        assert set(codes) <= {401, 503} and codes[503] > 0, codes
        assert next(r for r in flood if r.status_code == 503).headers["retry-after"] == "1"
        ok = await c.post("/api/v1/session", json={"username": "cv.datdai", "password": "officer-password"})
        assert ok.status_code == 200, "the flood over, a real sign-in goes through"


async def test_changing_the_password_ends_cookie_sessions(app_and_pool):
    app, pool, _ = app_and_pool
    async with client(app) as c:
        await c.post("/api/v1/session", json={"username": "cv.datdai", "password": "officer-password"})
        async with pool.acquire() as conn:
            await accounts.upsert(conn, Account("cv.datdai", Role.OFFICER, LAND), hash_password("a-new-password"))
        assert (await c.get(f"/cases/{LAND}")).status_code == 401


async def test_disabled_account_cannot_sign_in(app_and_pool):
    app, pool, _ = app_and_pool
    async with pool.acquire() as conn:
        await accounts.upsert(
            conn, Account("canbo.motcua", Role.CLERK, None), hash_password("clerk-password"), active=False
        )
    async with client(app) as c:
        r = await c.post("/api/v1/session", json={"username": "canbo.motcua", "password": "clerk-password"})
        assert r.status_code == 401


async def test_the_accounts_command_writes_every_service_database(fresh_database, endpoints):
    urls = dict.fromkeys(("INTAKE", "RESOLUTION", "STATS"), fresh_database)
    env = {**os.environ, **{f"{s}_DATABASE_URL": u for s, u in urls.items()}, "PASSWORD": "cmd-password-1"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "deploy.users",
            "--role",
            "officer",
            "--username",
            "cv.cmd",
            "--agency",
            LAND,
            "--name",
            "Nguyễn Văn Lệnh",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "cmd-password-1" not in done.stdout + done.stderr, "a password is never printed"
    conn = await asyncpg.connect(fresh_database)
    try:
        stored = await accounts.find(conn, "cv.cmd")
        assert stored.account == Account("cv.cmd", Role.OFFICER, LAND, "Nguyễn Văn Lệnh") and stored.active
        assert verify_password(stored.password_hash, "cmd-password-1")
    finally:
        await conn.close()
    refused = subprocess.run(
        [sys.executable, "-m", "deploy.users", "--role", "officer", "--username", "cv.noagency"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2 and "agency" in refused.stderr


async def test_demo_set_is_idempotent(fresh_database, tmp_path):
    urls = {"intake": fresh_database, "resolution": fresh_database, "stats": fresh_database}
    first = await ensure_demo(urls, tmp_path / "demo.json")
    assert [a for a, _ in first] == demo_accounts()
    conn = await asyncpg.connect(fresh_database)
    try:
        hashes = dict(await conn.fetch("SELECT username, password_hash FROM staff_accounts"))
        second = await ensure_demo(urls, tmp_path / "demo.json")
        assert second == first, "same accounts, same passwords"
        assert dict(await conn.fetch("SELECT username, password_hash FROM staff_accounts")) == hashes, (
            "unchanged hashes, so sessions signed in on the last run stay valid"
        )
        for account, password in second:
            assert verify_password(hashes[account.username], password)
    finally:
        await conn.close()
    await write_accounts(urls, [])  # nothing to write is fine
