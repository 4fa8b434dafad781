"""Who is calling: HTTP Basic or the signed session cookie, as a FastAPI dependency.

Argon2 costs tens of milliseconds on purpose, so a verified Basic header is remembered for a
minute (keyed by its SHA-256, never by the password). The account itself is read on every
request (one primary-key lookup), so disabling it or changing its password takes effect at once
on every instance. Wrong sign-ins are throttled (shared/auth/throttle.py) and at most
HASH_QUEUE verifications may wait for the Argon2 workers: beyond, 503, so a flood of bogus
credentials cannot starve real sign-ins of memory and time.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import hmac
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import asyncpg
from fastapi import Depends, Request, Response
from fastapi.security import APIKeyCookie, HTTPBasic, HTTPBearer
from starlette.requests import HTTPConnection

from shared.auth import accounts, signouts, throttle
from shared.auth.accounts import ROLE_NAMES_VI, Account, Role, StoredAccount
from shared.auth.passwords import verify_password
from shared.auth.sessions import COOKIE_NAME, SessionClaims, SessionSigner, fingerprint, load_secret
from shared.errors import NotFound
from shared.http import ApiError

BASIC_TTL = 60.0
CACHE_LIMIT = 4096
HASH_WORKERS = 4
HASH_QUEUE = 32
log = logging.getLogger("shared.auth")
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


class _BearerDoc(_Declared, HTTPBearer):
    pass


_basic_doc = _BasicDoc(
    scheme_name="staffBasic", auto_error=False, description="Staff account (make user / make run's demo accounts)"
)
_bearer_doc = _BearerDoc(
    scheme_name="serviceToken", auto_error=False, description="The services' shared token (SERVICE_TOKEN)"
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


class TooManyAttempts(ApiError):
    def __init__(self, retry_after_s: float):
        minutes = max(1, round(retry_after_s / 60))
        super().__init__(
            429,
            f"Đăng nhập sai quá nhiều lần; vui lòng thử lại sau khoảng {minutes} phút "
            "hoặc đề nghị lãnh đạo mở khóa tài khoản",
            f"Too many wrong sign-ins; try again in about {minutes} minutes or ask a leader to unlock the account",
        )
        self.headers = {"Retry-After": str(max(1, int(retry_after_s)))}


class Busy(ApiError):
    def __init__(self) -> None:
        super().__init__(
            503,
            "Hệ thống đang bận xác thực đăng nhập; vui lòng thử lại sau giây lát",
            "Sign-in is busy; try again in a moment",
        )
        self.headers = {"Retry-After": "1"}


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CrossSite(ApiError):
    def __init__(self, origin: str | None) -> None:
        super().__init__(
            403,
            "Yêu cầu thay đổi dữ liệu phải gửi từ chính trang của hệ thống",
            f"A change signed in by cookie must come from the system's own pages (origin: {origin or 'none'})",
        )


def same_site_origin(request: Request, trusted: frozenset[str]) -> bool:
    """Whether a cookie-signed change comes from our pages: its Origin (or, lacking one, its
    Referer) has the host the request was sent to (cookies are scoped by host, not port) or is
    a trusted origin. A form or script of another site cannot forge the Origin a browser sends."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source or source == "null":
        return False
    parsed = urlsplit(source)
    if f"{parsed.scheme}://{parsed.netloc}" in trusted:
        return True
    host = request.headers.get("host", "")
    return parsed.hostname is not None and parsed.hostname == urlsplit(f"//{host}").hostname


# Over TLS the cookie is `Secure` and named with the `__Host-` prefix (the browser then refuses it
# from plain HTTP, from a sub-domain and with another path); plain HTTP is for the loopback only.
SECURE_COOKIE_NAME = "__Host-" + COOKIE_NAME
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class PlainHttpSignIn(ApiError):
    def __init__(self) -> None:
        super().__init__(
            403,
            "Chỉ đăng nhập được qua kết nối bảo mật (HTTPS)",
            "Sign-in needs a secure connection (HTTPS); plain HTTP is allowed on the loopback only",
        )


def session_token(request: Request) -> str | None:
    return request.cookies.get(SECURE_COOKIE_NAME) or request.cookies.get(COOKIE_NAME)


def secure_cookie(request: Request, forced: bool) -> bool:
    """Whether the cookie goes with `Secure`: over TLS (directly or through a proxy uvicorn
    trusts), or always when the setting says so; PlainHttpSignIn off the loopback otherwise."""
    if forced or request.url.scheme == "https":
        return True
    if request.url.hostname not in LOOPBACK:
        raise PlainHttpSignIn()
    return False


def set_session_cookie(request: Request, response: Response, token: str, max_age: int, forced_secure: bool) -> None:
    secure = secure_cookie(request, forced_secure)
    response.set_cookie(
        SECURE_COOKIE_NAME if secure else COOKIE_NAME,
        token,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )


def clear_session_cookies(response: Response) -> None:
    response.delete_cookie(SECURE_COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=True)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax")


class Authenticator:
    """One per process; `pool` gives the service's database pool (after start-up). `secret` signs
    the session cookies (None: the local one of `.local/`), sent over HTTPS only if `cookie_secure`.
    `service` names the service whose outbox announces its sign-outs to the others
    (shared/auth/signouts.py); None: a sign-out ends the session here only."""

    def __init__(
        self,
        pool: Callable[[], asyncpg.Pool],
        secret: str | None = None,
        *,
        cookie_secure: bool = False,
        signer: SessionSigner | None = None,
        clock: Callable[[], float] = time.time,
        limits: throttle.Limits | None = None,
        trusted_origins: frozenset[str] = frozenset(),
        service_token: Callable[[], str] | None = None,
        service: str | None = None,
    ):
        self._pool, self._secret, self.cookie_secure, self.clock = pool, secret, cookie_secure, clock
        self.service = service
        self._signer = signer
        self.limits = limits or throttle.Limits()
        self.trusted_origins = trusted_origins
        self._service_token = service_token  # read when first needed, like the session secret
        self._basic = _TtlCache(BASIC_TTL)
        # Bounds the CPU that wrong passwords can burn: at most this many Argon2 runs at once,
        # and at most HASH_QUEUE waiting for them.
        self._hashing = asyncio.Semaphore(HASH_WORKERS)
        self._waiting = 0

    @property
    def signer(self) -> SessionSigner:
        if self._signer is None:  # read lazily, so building an app (e.g. for AsyncAPI) needs no secret
            self._signer = SessionSigner(load_secret(self._secret))
        return self._signer

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    async def _stored(self, username: str) -> StoredAccount | None:
        async with self._pool().acquire() as conn:
            return await accounts.find(conn, username)

    async def _verify(self, password_hash: str | None, password: str) -> bool:
        if self._waiting >= HASH_QUEUE:
            raise Busy()
        self._waiting += 1
        try:
            async with self._hashing:
                return await asyncio.to_thread(verify_password, password_hash, password)
        finally:
            self._waiting -= 1

    async def check_password(self, username: str, password: str, address: str | None = None) -> StoredAccount | None:
        """The active account with this password, or None; 429 while the account or the address is
        locked (checked before any Argon2 work); the Argon2 work runs off the event loop."""
        username, address = username.strip().lower(), address or "unknown"
        known_name = accounts.USERNAME.match(username) is not None
        subjects = [throttle.address_subject(address)] + ([throttle.account_subject(username)] if known_name else [])
        async with self._pool().acquire() as conn:
            locked = await throttle.locked_for(conn, subjects, self._now())
            if locked is not None:
                log.warning("sign-in refused (locked): account=%s address=%s", username[:64], address)
                raise TooManyAttempts(locked)
            stored = await accounts.find(conn, username) if known_name else None
        ok = await self._verify(stored.password_hash if stored else None, password)
        ok = bool(ok and stored and stored.active)
        async with self._pool().acquire() as conn:
            if ok:
                await throttle.forget(conn, throttle.account_subject(username))
            else:
                now, limits = self._now(), self.limits
                await throttle.count_failure(conn, subjects[0], now, limits.address_failures, limits.address_window_s)
                if known_name:
                    await throttle.count_failure(conn, subjects[1], now, limits.account_failures, limits.account_lock_s)
        log.info("sign-in %s: account=%s address=%s", "accepted" if ok else "refused", username[:64], address)
        return stored if ok else None

    def is_service(self, header: str) -> bool:
        """Whether `Authorization: Bearer ...` carries the services' shared token (constant time)."""
        if self._service_token is None:
            return False
        return hmac.compare_digest(header[7:].strip().encode(), self._service_token().encode())

    async def lift_lock(self, username: str, leader: Account) -> bool:
        """A leader's unlock of an account of their agency (any, if centre-wide): its failures
        forgotten; whether it was locked."""
        async with self._pool().acquire() as conn:
            stored = await accounts.find(conn, username)
            if stored is None:
                raise NotFound("Không có tài khoản này", "No such account")
            if leader.agency_id is not None:
                leader.ensure_agency(stored.account.agency_id or "(toàn trung tâm / centre-wide)")
            return await throttle.forget(conn, throttle.account_subject(username))

    async def from_basic(self, header: str, address: str | None = None) -> Account:
        key = hashlib.sha256(header.encode()).digest()
        cached = self._basic.get(key)
        if cached is not None:
            username, print_ = cached
            stored = await self._stored(username)
            if stored is not None and stored.active and fingerprint(stored.password_hash) == print_:
                return stored.account
            self._basic.put(key, None)  # disabled or its password changed: verify again
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise wrong_credentials() from None
        username, colon, password = decoded.partition(":")
        stored = await self.check_password(username, password, address) if colon else None
        if stored is None:
            raise wrong_credentials()
        self._basic.put(key, (stored.account.username, fingerprint(stored.password_hash)))
        return stored.account

    async def session_of(self, token: str) -> tuple[SessionClaims, StoredAccount] | None:
        """The live session a cookie carries and its account, or None (expired, idle, ended,
        disabled, password changed, forged)."""
        claims = self.signer.verify(token, self.clock())
        if claims is None:
            return None
        async with self._pool().acquire() as conn:
            stored = await accounts.find(conn, claims.username)
            ended = await conn.fetchval("SELECT 1 FROM ended_sessions WHERE session_id = $1", claims.session_id)
        if stored is None or ended or not stored.active or fingerprint(stored.password_hash) != claims.fingerprint:
            return None
        return claims, stored

    async def end_session(self, token: str) -> None:
        """Sign-out: the session's id recorded as ended until it would have expired, here and
        (through the outbox and the sessions topic) at every other service."""
        claims = self.signer.verify(token, self.clock())
        if claims is None:
            return
        async with self._pool().acquire() as conn:
            expires_at = datetime.fromtimestamp(claims.expires_at, UTC)
            await signouts.end(conn, claims.session_id, expires_at, self.service)

    async def current(self, request: Request, response: Response | None = None) -> Account | None:
        """The caller's account; None when no credentials came. Wrong Basic credentials are a 401;
        a stale or forged cookie counts as none (a citizen page must not fail on a clerk's old cookie).
        A cookie session in use is renewed on `response` (its idle end moves on)."""
        header = request.headers.get("authorization")
        address = request.client.host if request.client else None
        if header:
            if header[:6].lower() != "basic ":
                raise Unauthorized(
                    "Chỉ hỗ trợ xác thực Basic hoặc cookie phiên đăng nhập",
                    "Only Basic authentication or the session cookie is supported",
                )
            return await self.from_basic(header, address)
        token = session_token(request)
        found = await self.session_of(token) if token else None
        if found is None:
            return None
        claims, stored = found
        if request.method not in SAFE_METHODS and not same_site_origin(request, self.trusted_origins):
            raise CrossSite(request.headers.get("origin"))
        renewed = self.signer.renewed(claims, self.clock()) if response is not None else None
        if renewed is not None and response is not None:
            max_age = renewed[1].expires_at - int(self.clock())
            # Not renewed for a service passing a clerk's cookie on over the internal network.
            with contextlib.suppress(PlainHttpSignIn):
                set_session_cookie(request, response, renewed[0], max_age, self.cookie_secure)
        return stored.account


def authenticator(request: Request) -> Authenticator:
    return request.app.state.auth


async def optional_staff(
    request: Request, response: Response, _b=Depends(_basic_doc), _c=Depends(_cookie_doc)
) -> Account | None:
    """The signed-in account, or None for an anonymous caller (public endpoints that staff also use)."""
    return await authenticator(request).current(request, response)


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


def service_or_staff(*roles: Role) -> Callable[..., Awaitable[str]]:
    """A dependency for what another service reads (stats reading resolution's export): the
    services' bearer token, or a signed-in account with one of `roles`. Who it was, for the log."""

    async def dependency(request: Request, response: Response, _s=Depends(_bearer_doc)) -> str:
        header = request.headers.get("authorization", "")
        if header[:7].lower() == "bearer ":
            if not authenticator(request).is_service(header):
                raise wrong_credentials()
            return "service"
        return require_role(await authenticator(request).current(request, response), roles).username

    dependency.__name__ = f"service_or_{'_'.join(r.value for r in roles)}"
    return dependency
