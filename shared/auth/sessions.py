"""Signed session cookies: `base64url(json claims).base64url(HMAC-SHA256)`.

The cookie names the account and carries a fingerprint of its password hash, so changing
the password ends every session of that account. Two expiries are inside the signed part: the
session's end (a working day) and its idle end (30 minutes), which each authenticated request
moves on by renewing the cookie. Signing out records the session's id as ended (ended_sessions).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

COOKIE_NAME = "dvc_session"
DEFAULT_TTL_SECONDS = 8 * 3600  # one working day
IDLE_SECONDS = 30 * 60
SECRET_FILE = Path(__file__).resolve().parents[2] / ".local" / "session-secret"
SERVICE_TOKEN_FILE = SECRET_FILE.with_name("service-token")


@dataclass(frozen=True)
class SessionClaims:
    username: str
    fingerprint: str
    expires_at: int  # unix seconds
    session_id: str
    idle_until: int  # unix seconds; renewed while the session is used


def fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSigner:
    def __init__(self, secret: bytes, ttl_seconds: int = DEFAULT_TTL_SECONDS, idle_seconds: int = IDLE_SECONDS):
        if len(secret) < 16:
            raise ValueError("the session secret needs at least 16 bytes")
        self._key = hashlib.sha256(b"dvc-session-v2:" + secret).digest()
        self.ttl_seconds, self.idle_seconds = ttl_seconds, idle_seconds

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())

    def _token(self, c: SessionClaims) -> str:
        data = {"u": c.username, "f": c.fingerprint, "e": c.expires_at, "s": c.session_id, "i": c.idle_until}
        body = _b64(json.dumps(data, separators=(",", ":")).encode())
        return f"{body}.{self._mac(body)}"

    def issue(self, username: str, password_hash: str, now: float) -> tuple[str, SessionClaims]:
        expires = int(now) + self.ttl_seconds
        claims = SessionClaims(
            username,
            fingerprint(password_hash),
            expires,
            secrets.token_urlsafe(16),
            min(expires, int(now) + self.idle_seconds),
        )
        return self._token(claims), claims

    def renewed(self, claims: SessionClaims, now: float) -> tuple[str, SessionClaims] | None:
        """The same session with its idle end moved on, when it moved by a minute or more."""
        idle_until = min(claims.expires_at, int(now) + self.idle_seconds)
        if idle_until - claims.idle_until < 60:
            return None
        moved = SessionClaims(claims.username, claims.fingerprint, claims.expires_at, claims.session_id, idle_until)
        return self._token(moved), moved

    def verify(self, token: str, now: float) -> SessionClaims | None:
        """The claims of a well-signed token neither expired nor idle too long; None for anything else."""
        body, dot, mac = token.partition(".")
        if not dot or not hmac.compare_digest(mac, self._mac(body)):
            return None
        try:
            data = json.loads(_unb64(body))
            claims = SessionClaims(str(data["u"]), str(data["f"]), int(data["e"]), str(data["s"]), int(data["i"]))
        except (ValueError, KeyError, TypeError):
            return None
        return claims if now < claims.expires_at and now < claims.idle_until else None


def load_secret(configured: str | None = None, path: Path = SECRET_FILE) -> bytes:
    """The configured secret (the setting SESSION_SECRET); for local runs a random one kept in `.local/`.

    Every instance of every service must use the same secret, so a sign-in on one page holds on
    the others (cookies are per host, not per port). Created atomically: the three services
    start together and must not each write their own.
    """
    if configured:
        return configured.encode()
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        tmp.write_text(secrets.token_urlsafe(48))
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)  # fails if another process won the race; then its secret is used
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip().encode()
