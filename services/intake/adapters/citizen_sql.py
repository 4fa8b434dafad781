"""intake's SQL of what citizens send: Idempotency-Keys of receptions and uploaded files."""

from __future__ import annotations

import json
from datetime import datetime
from typing import NamedTuple

import asyncpg

from services.intake.domain.uploads import Upload
from shared.sql import columns


class KeyClaim(NamedTuple):
    """The request that took an Idempotency-Key first: its fingerprint and its answer."""

    fingerprint: str
    response: dict | None


class StoredFile(NamedTuple):
    filename: str
    content_type: str
    data: bytes


class CitizenSql:
    conn: asyncpg.Connection

    # --- Idempotency-Key -------------------------------------------------------------------

    async def claim_key(self, key: str, fingerprint: str, now: datetime) -> KeyClaim | None:
        """Take `key` for this transaction, or return the request that took it first.

        A concurrent request with the same key waits on the primary key until the first one
        commits (then it reads that one's answer) or rolls back (then it takes the key itself).
        """
        taken = await self.conn.fetchval(
            "INSERT INTO idempotency_keys(key, fingerprint, created_at) VALUES ($1, $2, $3) "
            "ON CONFLICT (key) DO NOTHING RETURNING true",
            key,
            fingerprint,
            now,
        )
        if taken:
            return None
        row = await self.conn.fetchrow("SELECT fingerprint, response FROM idempotency_keys WHERE key = $1", key)
        return KeyClaim(row["fingerprint"], json.loads(row["response"]) if row["response"] else None)

    async def complete_key(self, key: str, dossier_code: str, response: dict) -> None:
        await self.conn.execute(
            "UPDATE idempotency_keys SET dossier_code = $2, response = $3 WHERE key = $1",
            key,
            dossier_code,
            json.dumps(response, ensure_ascii=False),
        )

    # --- attachments -----------------------------------------------------------------------

    async def insert_attachments(self, code: str, purpose: str, files: list[Upload], at: datetime) -> list[int]:
        rows = await self.conn.fetch(
            """INSERT INTO attachments(code, purpose, filename, content_type, size_bytes, data, uploaded_at)
               SELECT $1, $2, f.name, f.type, f.size, f.data, $7::timestamptz
               FROM unnest($3::text[], $4::text[], $5::int[], $6::bytea[]) AS f(name, type, size, data)
               RETURNING id""",
            code,
            purpose,
            *columns([(f.filename, f.content_type, len(f.data), f.data) for f in files]),
            at,
        )
        return [r["id"] for r in rows]

    async def attachment_usage(self, code: str) -> tuple[int, int]:
        """How many files a dossier holds, and their bytes."""
        row = await self.conn.fetchrow(
            "SELECT count(*) AS n, coalesce(sum(size_bytes), 0) AS size FROM attachments WHERE code=$1", code
        )
        return int(row["n"]), int(row["size"])

    async def list_attachments(self, code: str) -> list[dict]:
        return [
            dict(r)
            for r in await self.conn.fetch(
                "SELECT id, purpose, filename, content_type, size_bytes, uploaded_at FROM attachments WHERE code=$1 "
                "ORDER BY id",
                code,
            )
        ]

    async def get_attachment(self, code: str, attachment_id: int) -> StoredFile | None:
        row = await self.conn.fetchrow(
            "SELECT filename, content_type, data FROM attachments WHERE code=$1 AND id=$2", code, attachment_id
        )
        return StoredFile(row["filename"], row["content_type"], bytes(row["data"])) if row else None
