"""intake's SQL of digitisation at reception: each document's mark (scanned, reused, paper)."""

from __future__ import annotations

import asyncpg

from services.intake.domain.digitisation import Mark
from shared.sql import columns


class DigitisationSql:
    conn: asyncpg.Connection

    async def insert_document_marks(
        self, code: str, documents: list[str], marks: list[Mark], attachment_ids: list[int | None]
    ) -> None:
        """One row per document of the list, in order; `attachment_ids` the scans' (None elsewhere)."""
        await self.conn.execute(
            """INSERT INTO dossier_documents(code, position, name, kind, attachment_id, reused_from)
               SELECT $1, d.position, d.name, d.kind, d.attachment_id, d.reused_from
               FROM unnest($2::smallint[], $3::text[], $4::text[], $5::bigint[], $6::text[])
                    AS d(position, name, kind, attachment_id, reused_from)""",
            code,
            *columns(
                [
                    (n, name, m.kind, attachment, m.reused_from)
                    for n, (name, m, attachment) in enumerate(zip(documents, marks, attachment_ids, strict=True))
                ]
            ),
        )

    async def digitised_names(self, code: str) -> set[str]:
        """The documents of `code` a later dossier may reuse: scanned (while the file is kept) or
        reused itself."""
        rows = await self.conn.fetch(
            """SELECT name FROM dossier_documents
               WHERE code = $1 AND (kind = 'reused' OR (kind = 'scanned' AND attachment_id IS NOT NULL))""",
            code,
        )
        return {r["name"] for r in rows}
