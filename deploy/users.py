"""Staff accounts: create or update one (`make user`), and `make run`'s demo set.

    python -m deploy.users --role officer --username cv.datdai --agency 000.00.31.H26 [--name "..."]
    (the password is asked for, or taken from PASSWORD in the environment; --disable locks the account)

Every service keeps the whole staff directory in its own database (shared/auth/migrations), so
this writes the account to each of the three, as the owner of their tables (*_MIGRATION_DATABASE_URL,
else *_DATABASE_URL). Without them in the environment it uses the local `make run` PostgreSQL,
starting it if needed (and stopping it again if it started it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import secrets
import sys
import unicodedata
from pathlib import Path

import asyncpg

from deploy.settings import ToolSettings, password_or_ask
from services.intake.service.catalogue import SHIPPED_CATALOGUE, read_catalogue
from shared.auth import MIGRATIONS, Account, Role, accounts
from shared.auth.passwords import MIN_LENGTH, hash_password, verify_password
from shared.db import migrate

SERVICES = ("intake", "resolution", "stats", "notifier", "portal_sync")  # each signs staff in
REPO = Path(__file__).resolve().parents[1]


async def write_accounts(urls: dict[str, str], entries: list[tuple[Account, str, bool]]) -> None:
    """Create or update each (account, password hash, active) in every service database (URLs of the
    tables' owners: the staff tables are made here if the service never started)."""
    for url in urls.values():
        pool = await asyncpg.create_pool(url, min_size=1, max_size=1)
        try:
            await migrate(pool, MIGRATIONS)
            async with pool.acquire() as conn, conn.transaction():
                for account, password_hash, active in entries:
                    await accounts.upsert(conn, account, password_hash, active)
        finally:
            await pool.close()


async def unknown_agency(intake_url: str, agency_id: str) -> list[str] | None:
    """The known agency ids when `agency_id` is not one of intake's catalogue; None when it is (or
    when intake has not loaded a catalogue yet, so accounts can be made before the first start)."""
    conn = await asyncpg.connect(intake_url)
    try:
        if await conn.fetchval("SELECT to_regclass('agencies')") is None:
            return None
        known = [r["id"] for r in await conn.fetch("SELECT id FROM agencies ORDER BY id")]
        return None if not known or agency_id in known else known
    finally:
        await conn.close()


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text.replace("Đ", "D").replace("đ", "d"))
    return re.sub(r"[^a-z0-9]", "", ascii_text.encode("ascii", "ignore").decode().lower())


def demo_accounts(catalogue: Path = SHIPPED_CATALOGUE) -> list[Account]:
    """Enough people to show a province: the centre's clerk, leader and monitor; an officer of
    every department or branch that performs a procedure; and for two wards a clerk, an officer and
    a leader (one ward receives for the other)."""
    shipped = read_catalogue(catalogue)
    performing = {a for p in shipped.procedures for a in p.agencies}
    wards = [a for a in shipped.agencies if a.level == "commune"][:2]

    def named(role: Role, prefix: str, title: str, a) -> Account:
        short = a.short_name or a.name
        return Account(f"{prefix}.{_slug(short)}"[:63], role, a.id, f"{title} {short}")

    officers = [
        named(Role.OFFICER, "cv", "Chuyên viên", a)
        for a in shipped.agencies
        if a.level in ("department", "branch") and a.id in performing
    ]
    ward_staff = [
        named(role, prefix, title, a)
        for a in wards
        for role, prefix, title in (
            (Role.CLERK, "motcua", "Cán bộ một cửa"),
            (Role.OFFICER, "cv", "Công chức"),
            (Role.LEADER, "lanhdao", "Lãnh đạo"),
        )
    ]
    return [
        Account("canbo.motcua", Role.CLERK, None, "Cán bộ Bộ phận Một cửa"),
        *officers,
        *ward_staff,
        Account("lanhdao", Role.LEADER, None, "Lãnh đạo Trung tâm"),
        Account("giamsat", Role.MONITOR, None, "Giám sát"),
    ]


async def ensure_demo(urls: dict[str, str], password_file: Path) -> list[tuple[Account, str]]:
    """Idempotent: the same accounts and the same passwords every run (kept, private, in
    `password_file`, so they are random per machine and not published in the repository)."""
    known = json.loads(password_file.read_text()) if password_file.is_file() else {}
    pool = await asyncpg.create_pool(urls["intake"], min_size=1, max_size=1)
    try:
        await migrate(pool, MIGRATIONS)
        async with pool.acquire() as conn:
            current = {a.username: await accounts.find(conn, a.username) for a in demo_accounts()}
    finally:
        await pool.close()
    entries, result = [], []
    for account in demo_accounts():
        password = known.setdefault(account.username, secrets.token_urlsafe(9))
        stored = current[account.username]
        # Keep an unchanged hash: a new one would end the sessions signed in on the last run.
        keep = (
            stored and stored.account == account and stored.active and verify_password(stored.password_hash, password)
        )
        entries.append((account, stored.password_hash if keep else hash_password(password), True))
        result.append((account, password))
    await write_accounts(urls, entries)
    password_file.parent.mkdir(parents=True, exist_ok=True)
    password_file.write_text(json.dumps(known, indent=1))
    password_file.chmod(0o600)
    return result


def database_urls() -> tuple[dict[str, str], bool]:
    """The three database URLs, as the tables' owners (the staff tables may not exist yet), and
    whether a local PostgreSQL was started for this command."""
    env = ToolSettings().owner_urls()
    if all(env.values()):
        return {s: url or "" for s, url in env.items()}, False
    from deploy.local import servers

    was_running = servers.status("run")["postgresql"].startswith("running")
    servers.start_postgres("run")
    local = servers.migration_urls("run")
    return {s: env[s] or local[s] for s in SERVICES}, not was_running


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.users", description="Create or update a staff account.")
    parser.add_argument("--role", required=True, choices=[r.value for r in Role])
    parser.add_argument("--username", required=True)
    parser.add_argument("--agency", default=None, help="agency id; required for an officer, empty = centre-wide")
    parser.add_argument("--name", default=None, help="full name shown on pages and slips")
    parser.add_argument("--disable", action="store_true", help="lock the account (sign-in refused)")
    args = parser.parse_args(argv)
    account = Account(args.username.strip().lower(), Role(args.role), args.agency or None, args.name or None)
    try:
        accounts.validate(account.username, account.role, account.agency_id)
    except ValueError as exc:
        parser.error(str(exc))
    password = password_or_ask()
    if len(password) < MIN_LENGTH:
        parser.error(f"a password of at least {MIN_LENGTH} characters is needed (PASSWORD=... or typed)")
    urls, started = database_urls()
    try:
        known = asyncio.run(unknown_agency(urls["intake"], account.agency_id)) if account.agency_id else None
        if known:
            parser.error(f"agency {account.agency_id} is not in intake's catalogue; known: {', '.join(known)}")
        asyncio.run(write_accounts(urls, [(account, hash_password(password), not args.disable)]))
    finally:
        if started:
            from deploy.local import servers

            servers.stop_postgres("run")
    where = ", ".join(SERVICES)
    print(
        f"account {account.username} ({account.role.value}, agency {account.agency_id or 'all'}) "
        f"{'disabled' if args.disable else 'saved'} in {where}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
