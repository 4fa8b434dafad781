"""Sign-in for pages: `POST /api/v1/session` sets the signed cookie, `DELETE` clears it."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from shared.auth.accounts import Account, Role
from shared.auth.http import (
    SESSION_CHALLENGE,
    authenticator,
    clear_session_cookies,
    optional_staff,
    secure_cookie,
    session_token,
    set_session_cookie,
    staff,
    unauthorized,
    wrong_credentials,
)

router = APIRouter(prefix="/api/v1", tags=["sign-in"])
log = logging.getLogger("shared.auth")


class SignIn(BaseModel):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=200)  # any length: the minimum is enforced when one is set


class AccountOut(BaseModel):
    username: str
    role: str
    role_name: str = Field(description="The role in Vietnamese")
    agency_id: str | None = Field(description="None: centre-wide")
    full_name: str | None


class SessionOut(BaseModel):
    account: AccountOut
    expires_at: str


class SignedInOut(BaseModel):
    account: AccountOut


@router.post("/session", response_model=SessionOut, summary="Đăng nhập / sign in (sets the session cookie)")
async def sign_in(request: Request, response: Response, body: SignIn) -> dict:
    auth = authenticator(request)
    secure_cookie(request, auth.cookie_secure)  # refused before any password is looked at
    stored = await auth.check_password(body.username, body.password, request.client.host if request.client else None)
    if stored is None:
        raise wrong_credentials(SESSION_CHALLENGE)
    token, claims = auth.signer.issue(stored.account.username, stored.password_hash, auth.clock())
    set_session_cookie(request, response, token, auth.signer.ttl_seconds, auth.cookie_secure)
    return {
        "account": stored.account.public(),
        "expires_at": datetime.fromtimestamp(claims.expires_at, UTC).isoformat(),
    }


@router.get("/session", response_model=SignedInOut, summary="Tài khoản đang đăng nhập / the signed-in account")
async def who_am_i(account: Account | None = Depends(optional_staff)) -> dict:
    if account is None:
        raise unauthorized(SESSION_CHALLENGE)
    return {"account": account.public()}


@router.delete("/session", status_code=204, summary="Đăng xuất / sign out (ends the session, clears the cookie)")
async def sign_out(request: Request) -> Response:
    token = session_token(request)
    if token:
        await authenticator(request).end_session(token)  # a copy of the cookie is refused from now on
    response = Response(status_code=204)
    clear_session_cookies(response)
    return response


class UnlockedOut(BaseModel):
    username: str
    was_locked: bool
    message: str


@router.delete(
    "/staff/{username}/lock",
    response_model=UnlockedOut,
    summary="Mở khóa tài khoản bị khóa do đăng nhập sai / a leader lifts a sign-in lockout",
)
async def lift_lock(request: Request, username: str, leader: Account = Depends(staff(Role.LEADER))) -> dict:
    was_locked = await authenticator(request).lift_lock(username.strip().lower(), leader)
    log.info("sign-in lock lifted: account=%s by=%s", username[:64], leader.username)
    return {
        "username": username,
        "was_locked": was_locked,
        "message": "Đã mở khóa tài khoản / The account is unlocked",
    }
