"""Staff accounts: roles, agency scope, and their table (the same in every service's database)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import asyncpg

from shared.errors import Forbidden

MIGRATIONS = Path(__file__).parent / "migrations"
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")


class Role(StrEnum):
    CLERK = "clerk"  # công chức tiếp nhận (counter)
    OFFICER = "officer"  # chuyên viên xử lý (department)
    LEADER = "leader"  # lãnh đạo
    MONITOR = "monitor"  # giám sát


ROLE_NAMES_VI = {
    Role.CLERK: "công chức tiếp nhận",
    Role.OFFICER: "chuyên viên xử lý",
    Role.LEADER: "lãnh đạo",
    Role.MONITOR: "giám sát",
}


@dataclass(frozen=True)
class Account:
    username: str
    role: Role
    agency_id: str | None  # None: centre-wide
    full_name: str | None = None

    def public(self) -> dict:
        return {
            "username": self.username,
            "role": self.role.value,
            "role_name": ROLE_NAMES_VI[self.role],
            "agency_id": self.agency_id,
            "full_name": self.full_name,
        }

    def sees(self, agency_id: str) -> bool:
        return self.agency_id is None or self.agency_id == agency_id

    def ensure_agency(self, agency_id: str, code: str | None = None) -> None:
        """Forbidden unless this account may see and act on `agency_id`'s dossiers."""
        if self.sees(agency_id):
            return
        what_vi, what_en = (f"Hồ sơ {code}", f"Dossier {code}") if code else ("Dữ liệu", "The data")
        raise Forbidden(
            f"{what_vi} thuộc cơ quan {agency_id}; tài khoản {self.username} chỉ được xem và xử lý "
            f"hồ sơ của cơ quan {self.agency_id}",
            f"{what_en} belongs to agency {agency_id}; account {self.username} may only see and act on "
            f"agency {self.agency_id}'s dossiers",
            agency_id=agency_id,
        )

    def agency_filter(self, requested: str | None) -> str | None:
        """The agency a list is limited to: the account's own, or what was asked if centre-wide."""
        if requested is not None:
            self.ensure_agency(requested)
            return requested
        return self.agency_id


@dataclass(frozen=True)
class StoredAccount:
    account: Account
    password_hash: str
    active: bool


def validate(username: str, role: Role, agency_id: str | None) -> None:
    if not USERNAME.match(username):
        raise ValueError("a username is 2-63 characters: lower-case letters, digits, '.', '_' or '-'")
    if role is Role.OFFICER and not agency_id:
        raise ValueError("an officer belongs to an agency: give its id (e.g. 000.00.31.H26)")


async def find(conn, username: str) -> StoredAccount | None:
    row = await conn.fetchrow("SELECT * FROM staff_accounts WHERE username = $1", username)
    if row is None:
        return None
    account = Account(row["username"], Role(row["role"]), row["agency_id"], row["full_name"])
    return StoredAccount(account, row["password_hash"], row["active"])


async def upsert(conn: asyncpg.Connection, account: Account, password_hash: str, active: bool = True) -> None:
    validate(account.username, account.role, account.agency_id)
    await conn.execute(
        """INSERT INTO staff_accounts (username, role, agency_id, full_name, password_hash, active)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (username) DO UPDATE SET role = EXCLUDED.role, agency_id = EXCLUDED.agency_id,
               full_name = EXCLUDED.full_name, password_hash = EXCLUDED.password_hash,
               active = EXCLUDED.active, updated_at = now()""",
        account.username,
        account.role.value,
        account.agency_id,
        account.full_name,
        password_hash,
        active,
    )
