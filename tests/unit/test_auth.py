"""Staff sign-in, the pure parts: password hashing, session cookies, agency scope, demo accounts."""

from __future__ import annotations

import json
import multiprocessing

import pytest

from deploy.users import demo_accounts
from shared.auth import Account, Role
from shared.auth.accounts import USERNAME, validate
from shared.auth.passwords import hash_password, needs_rehash, verify_password
from shared.auth.sessions import SessionSigner, _b64, load_secret
from shared.errors import Forbidden
from shared.http import status_of

SECRET = b"0123456789abcdef-test-secret"


def test_password_hash_is_argon2id_salted_and_verifies():
    one, two = hash_password("mật khẩu dài"), hash_password("mật khẩu dài")
    assert one.startswith("$argon2id$") and one != two, "a fresh salt each time"
    assert "mật khẩu" not in one
    assert verify_password(one, "mật khẩu dài") and verify_password(two, "mật khẩu dài")
    assert not verify_password(one, "mật khẩu dai")
    assert not needs_rehash(one)


def test_password_verification_fails_closed():
    assert not verify_password(None, "not-a-password-of-anyone"), "no account: never a match, even the dummy's"
    assert not verify_password("not a hash", "whatever1")
    assert not verify_password("", "whatever1")
    with pytest.raises(ValueError):
        hash_password("short")


def test_session_cookie_round_trip_idle_end_and_expiry():
    signer = SessionSigner(SECRET, ttl_seconds=3600, idle_seconds=1800)
    token, claims = signer.issue("cv.datdai", "$argon2id$hash", now=1_000_000)
    assert (claims.expires_at, claims.idle_until) == (1_003_600, 1_001_800)
    assert signer.verify(token, now=1_000_001) == claims
    assert signer.verify(token, now=1_001_800) is None, "idle for 30 minutes"
    assert signer.renewed(claims, now=1_000_030) is None, "renewed at most once a minute"
    token, renewed = signer.renewed(claims, now=1_001_700)
    assert (renewed.session_id, renewed.idle_until, renewed.expires_at) == (claims.session_id, 1_003_500, 1_003_600)
    assert signer.verify(token, now=1_003_499) == renewed
    token, last = signer.renewed(renewed, now=1_003_000)
    assert last.idle_until == 1_003_600, "never beyond the session's end"
    assert signer.verify(token, now=1_003_600) is None, "expired at its expiry time"


def test_session_cookie_tampering_is_refused():
    signer = SessionSigner(SECRET)
    token, _ = signer.issue("cv.datdai", "$argon2id$hash", now=1_000_000)
    body, mac = token.split(".")
    forged = _b64(json.dumps({"u": "lanhdao", "f": "x", "e": 9_999_999_999}).encode())
    for bad in (f"{forged}.{mac}", f"{body}.{mac[:-2]}AA", f"{body}.", body, "", "..", f"{body}x.{mac}"):
        assert signer.verify(bad, now=1_000_001) is None, bad
    assert SessionSigner(b"another-secret-of-16+").verify(token, now=1_000_001) is None, "other secret"
    # a well-signed body that is not our JSON
    junk = _b64(b"[1,2]")
    assert signer.verify(f"{junk}.{signer._mac(junk)}", now=0) is None


def test_session_cookie_carries_a_password_fingerprint():
    signer = SessionSigner(SECRET)
    _, before = signer.issue("a.b", "$argon2id$old", now=0)
    _, after = signer.issue("a.b", "$argon2id$new", now=0)
    assert before.fingerprint != after.fingerprint, "a changed password ends old sessions"


def test_short_secret_is_refused():
    with pytest.raises(ValueError):
        SessionSigner(b"short")


def test_secret_from_settings_or_one_file(tmp_path):
    assert load_secret("from-the-settings-0123", tmp_path / "s") == b"from-the-settings-0123"
    assert not (tmp_path / "s").exists()
    first = load_secret(None, tmp_path / "s")
    assert len(first) >= 32 and load_secret(None, tmp_path / "s") == first
    assert (tmp_path / "s").stat().st_mode & 0o077 == 0, "readable by its owner only"


def _secret_in_child(path, queue):
    queue.put(load_secret(None, path))


def test_processes_starting_together_share_one_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("SESSION_SECRET", raising=False)
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_secret_in_child, args=(tmp_path / "race", queue)) for _ in range(6)]
    for p in procs:
        p.start()
    secrets = {queue.get(timeout=30) for _ in procs}
    for p in procs:
        p.join(30)
    assert len(secrets) == 1


def test_agency_scope():
    officer = Account("cv.datdai", Role.OFFICER, "000.00.31.H26")
    leader = Account("lanhdao", Role.LEADER, None)
    assert officer.sees("000.00.31.H26") and not officer.sees("000.00.09.H26")
    assert leader.sees("000.00.09.H26")
    officer.ensure_agency("000.00.31.H26", "X")
    with pytest.raises(Forbidden) as refused:
        officer.ensure_agency("000.00.09.H26", "000.00.09.H26-261126-0001")
    assert status_of(refused.value) == 403
    assert "Hồ sơ 000.00.09.H26-261126-0001 thuộc cơ quan" in refused.value.vi
    assert "belongs to agency 000.00.09.H26" in refused.value.en
    assert officer.agency_filter(None) == "000.00.31.H26", "an officer's lists are their agency's"
    assert leader.agency_filter(None) is None and leader.agency_filter("000.00.09.H26") == "000.00.09.H26"
    with pytest.raises(Forbidden):
        officer.agency_filter("000.00.09.H26")


def test_account_rules():
    with pytest.raises(ValueError):
        validate("cv.x", Role.OFFICER, None)
    for bad in ("A", "Cv.Upper", "có dấu", "x" * 64, "-lead"):
        with pytest.raises(ValueError):
            validate(bad, Role.CLERK, None)
    validate("canbo.motcua", Role.CLERK, None)


def test_demo_accounts_staff_every_department_that_performs_and_two_wards():
    from services.intake.service.catalogue import SHIPPED_CATALOGUE, read_catalogue

    demo = demo_accounts()
    shipped = read_catalogue(SHIPPED_CATALOGUE)
    performing = {a for p in shipped.procedures for a in p.agencies}
    provincial = {a.id for a in shipped.agencies if a.level in ("department", "branch") and a.id in performing}
    officers = {a.agency_id for a in demo if a.role is Role.OFFICER}
    assert provincial < officers and len(officers - provincial) == 2  # and two wards
    for ward in officers - provincial:
        assert sorted(a.role.value for a in demo if a.agency_id == ward) == ["clerk", "leader", "officer"]
    centre = sorted(a.role.value for a in demo if a.agency_id is None)
    assert centre == ["clerk", "leader", "monitor"]
    assert all(USERNAME.match(a.username) for a in demo)
    assert len({a.username for a in demo}) == len(demo)
