"""Who is calling: HTTP Basic or the signed session cookie, as a FastAPI dependency.

Argon2 costs tens of milliseconds on purpose, so a verified Basic header is remembered for a
minute (keyed by its SHA-256, never by the password) and an account read for a cookie for
half a minute: an authenticated request then costs microseconds. The price is that a changed
password or a disabled account takes up to that long to be refused by a running process.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import asyncpg
from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPBasic
from starlette.requests import HTTPConnection

from shared.auth import accounts
from shared.auth.accounts import ROLE_NAMES_VI, Account, Role, StoredAccount
from shared.auth.passwords import verify_password
from shared.auth.sessions import COOKIE_NAME, SessionSigner, fingerprint, load_secret
from shared.http import ApiError

BASIC_TTL = 60.0
ACCOUNT_TTL = 30.0
CACHE_LIMIT = 4096
# A realm in ASCII; the bilingual text is in the body.
BASIC_CHALLENGE = 'Basic realm="dvc-staff", charset="UTF-8"'
# For the sign-in form: a challenge that is not Basic, so a browser shows no password dialog.
SESSION_CHALLENGE = 'Session realm="dvc-staff"'


class _Declared:
    """A security scheme declared only so /docs offers "Authorize"; the request is read below.
    (FastAPI's HTTPBasic itself rejects a non-ASCII password, and in English only.)"""

    async def __call__(self, request: HTTPConnection) -> Any:
        return None


class _BasicDoc(_Declared, HTTPBasic):
    pass


class _CookieDoc(_Declared, APIKeyCookie):
    pass


_basic_doc = _BasicDoc(
    scheme_name="staffBasic", auto_error=False, description="Staff account (make user / make run's demo accounts)"
)
_cookie_doc = _CookieDoc(
    name=COOKIE_NAME, scheme_name="sessionCookie", auto_error=False, description="Set by POST /api/v1/session"
)


class Unauthorized(ApiError):
    def __init__(self, vi: str, en: str, challenge: str = BASIC_CHALLENGE):
        super().__init__(401, vi, en)
        self.headers = {"WWW-Authenticate": challenge}


def unauthorized(challenge: str = BASIC_CHALLENGE) -> Unauthorized:
    return Unauthorized(
        "Cần đăng nhập bằng tài khoản cán bộ (tên đăng nhập và mật khẩu)",
        "Sign-in with a staff account (username and password) is required",
        challenge,
    )


def wrong_credentials(challenge: str = BASIC_CHALLENGE) -> Unauthorized:
    return Unauthorized(
        "Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đã bị khóa",
        "Wrong username or password, or the account is disabled",
        challenge,
    )


def forbidden_role(account: Account, roles: Iterable[Role]) -> ApiError:
    roles = list(roles)
    vi = ", ".join(ROLE_NAMES_VI[r] for r in roles)
    en = ", ".join(r.value for r in roles)
    return ApiError(
        403,
        f"Tài khoản {account.username} ({ROLE_NAMES_VI[account.role]}) không có quyền thực hiện "
        f"thao tác này; cần vai trò: {vi}",
        f"Account {account.username} ({account.role.value}) may not do this; it needs the role: {en}",
        role=account.role.value,
        required_roles=en.split(", "),
    )


class _TtlCache:
    def __init__(self, ttl: float):
        self.ttl = ttl
        self._items: dict[object, tuple[object, float]] = {}

    def get(self, key):
        hit = self._items.get(key)
        if hit and hit[1] > time.monotonic():
            return hit[0]
        return None

    def put(self, key, value) -> None:
        if len(self._items) >= CACHE_LIMIT:  # bounded: forget everything rather than grow
            self._items.clear()
        self._items[key] = (value, time.monotonic() + self.ttl)


class Authenticator:
    """One per process; `pool` gives the service's database pool (after start-up). `secret` signs
    the session cookies (None: the local one of `.local/`), sent over HTTPS only if `cookie_secure`."""

    def __init__(
        self,
        pool: Callable[[], asyncpg.Pool],
        secret: str | None = None,
        *,
        cookie_secure: bool = False,
        signer: SessionSigner | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self._pool, self._secret, self.cookie_secure, self.clock = pool, secret, cookie_secure, clock
        self._signer = signer
        self._basic = _TtlCache(BASIC_TTL)
        self._accounts = _TtlCache(ACCOUNT_TTL)
        # Bounds the CPU that wrong passwords can burn: at most this many Argon2 runs at once.
        self._hashing = asyncio.Semaphore(4)

    @property
    def signer(self) -> SessionSigner:
        if self._signer is None:  # read lazily, so building an app (e.g. for AsyncAPI) needs no secret
            self._signer = SessionSigner(load_secret(self._secret))
        return self._signer

    async def _stored(self, username: str) -> StoredAccount | None:
        async with self._pool().acquire() as conn:
            return await accounts.find(conn, username)

    async def check_password(self, username: str, password: str) -> StoredAccount | None:
        """The active account with this password, or None; the Argon2 work runs off the event loop."""
        username = username.strip().lower()
        stored = await self._stored(username) if accounts.USERNAME.match(username) else None
        async with self._hashing:
            ok = await asyncio.to_thread(verify_password, stored.password_hash if stored else None, password)
        return stored if ok and stored and stored.active else None

    async def from_basic(self, header: str) -> Account:
        key = hashlib.sha256(header.encode()).digest()
        cached = self._basic.get(key)
        if cached is not None:
            return cached
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise wrong_credentials() from None
        username, colon, password = decoded.partition(":")
        stored = await self.check_password(username, password) if colon else None
        if stored is None:
            raise wrong_credentials()
        self._basic.put(key, stored.account)
        return stored.account

    async def from_cookie(self, token: str) -> Account | None:
        claims = self.signer.verify(token, self.clock())
        if claims is None:
            return None
        stored = self._accounts.get(claims.username)
        if stored is None:
            stored = await self._stored(claims.username)
            if stored is None:
                return None
            self._accounts.put(claims.username, stored)
        if not stored.active or fingerprint(stored.password_hash) != claims.fingerprint:
            return None  # disabled, or the password changed since sign-in
        return stored.account

    async def current(self, request: Request) -> Account | None:
        """The caller's account; None when no credentials came. Wrong Basic credentials are a 401;
        a stale or forged cookie counts as none (a citizen page must not fail on a clerk's old cookie)."""
        header = request.headers.get("authorization")
        if header:
            if header[:6].lower() != "basic ":
                raise Unauthorized(
                    "Chỉ hỗ trợ xác thực Basic hoặc cookie phiên đăng nhập",
                    "Only Basic authentication or the session cookie is supported",
                )
            return await self.from_basic(header)
        token = request.cookies.get(COOKIE_NAME)
        return await self.from_cookie(token) if token else None


def authenticator(request: Request) -> Authenticator:
    return request.app.state.auth


async def optional_staff(request: Request, _b=Depends(_basic_doc), _c=Depends(_cookie_doc)) -> Account | None:
    """The signed-in account, or None for an anonymous caller (public endpoints that staff also use)."""
    return await authenticator(request).current(request)


def require_role(account: Account | None, roles: Iterable[Role]) -> Account:
    roles = frozenset(roles)
    if account is None:
        raise unauthorized()
    if account.role not in roles:
        raise forbidden_role(account, sorted(roles))
    return account


def staff(*roles: Role) -> Callable[..., Awaitable[Account]]:
    """A dependency: the signed-in account, which must have one of `roles` (401 / 403 otherwise)."""

    async def dependency(account: Account | None = Depends(optional_staff)) -> Account:
        return require_role(account, roles)

    dependency.__name__ = f"staff_{'_'.join(r.value for r in roles)}"
    return dependency
