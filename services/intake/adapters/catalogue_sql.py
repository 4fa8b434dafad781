"""intake's SQL of the catalogue: agencies and the versions of procedures."""

from __future__ import annotations

import json
from datetime import date

import asyncpg

from services.intake.domain.catalogue import Agency, Catalogue, Procedure
from shared.sql import columns, unnest_arrays


def _procedure(row) -> Procedure:
    return Procedure.model_validate(
        {**json.loads(row["body"]), "version": row["version"], "effective_from": row["effective_from"]}
    )


_CURRENT = """
    SELECT DISTINCT ON (code) code, version, effective_from, body FROM procedures
    WHERE effective_from <= $1 {extra}
    ORDER BY code, effective_from DESC, version DESC"""


_AGENCY = "id, name, short_name, level, parent_id"


# What an agency's counter receives: what it performs, and what the branches under it perform.
_RECEIVED_BY = "AND ($2 = ANY(performers) OR performers && (SELECT array_agg(id) FROM agencies WHERE parent_id = $2))"


class CatalogueSql:
    conn: asyncpg.Connection

    # --- the catalogue ---------------------------------------------------------------------

    async def load_catalogue(self, catalogue: Catalogue) -> int:
        """Insert the catalogue's agencies and this version of its procedures; returns new rows."""
        await self.conn.executemany(
            "INSERT INTO agencies(id, name, short_name, level, parent_id) VALUES ($1,$2,$3,$4,$5) "
            "ON CONFLICT (id) DO UPDATE SET name=EXCLUDED.name, short_name=EXCLUDED.short_name, "
            "level=EXCLUDED.level, parent_id=EXCLUDED.parent_id",
            [(a.id, a.name, a.short_name, a.level, a.parent_id) for a in catalogue.agencies],
        )
        rows = [
            (
                p.code,
                catalogue.version,
                catalogue.effective_from,
                " ".join(p.agencies),  # agency ids have no spaces; unnest cannot take ragged arrays
                p.model_dump_json(exclude={"version", "effective_from"}),
            )
            for p in catalogue.procedures
        ]
        if not rows:
            return 0
        status = await self.conn.execute(
            f"""INSERT INTO procedures(code, version, effective_from, performers, body)
                SELECT code, version, day, string_to_array(performers, ' '), body
                FROM unnest({unnest_arrays(("text", "text", "date", "text", "jsonb"))})
                     AS t(code, version, day, performers, body)
                ON CONFLICT DO NOTHING""",
            *columns(rows),
        )
        return int(status.rsplit(" ", 1)[-1])

    async def current_procedure(self, code: str, day: date) -> Procedure | None:
        row = await self.conn.fetchrow(_CURRENT.format(extra="AND code = $2"), day, code)
        return _procedure(row) if row else None

    async def current_procedures(self, day: date, agency_id: str | None = None) -> list[Procedure]:
        if agency_id:
            rows = await self.conn.fetch(_CURRENT.format(extra=_RECEIVED_BY), day, agency_id)
        else:
            rows = await self.conn.fetch(_CURRENT.format(extra=""), day)
        return [_procedure(r) for r in rows]

    async def procedure_version(self, code: str, version: str) -> Procedure:
        row = await self.conn.fetchrow(
            "SELECT code, version, effective_from, body FROM procedures WHERE code=$1 AND version=$2", code, version
        )
        return _procedure(row)

    async def procedure_versions(self, codes: list[str]) -> dict[str, list[Procedure]]:
        """Every catalogue version of these procedures, by code."""
        out: dict[str, list[Procedure]] = {}
        for row in await self.conn.fetch(
            "SELECT code, version, effective_from, body FROM procedures WHERE code = ANY($1)", codes
        ):
            out.setdefault(row["code"], []).append(_procedure(row))
        return out

    async def agency(self, agency_id: str) -> Agency | None:
        found = await self.agencies_by_id([agency_id])
        return found.get(agency_id)

    async def agencies_by_id(self, ids: list[str]) -> dict[str, Agency]:
        rows = await self.conn.fetch(f"SELECT {_AGENCY} FROM agencies WHERE id = ANY($1)", ids)
        return {r["id"]: Agency.model_validate(dict(r)) for r in rows}

    async def agencies(self) -> list[Agency]:
        rows = await self.conn.fetch(f"SELECT {_AGENCY} FROM agencies ORDER BY id")
        return [Agency.model_validate(dict(r)) for r in rows]
