"""intake's repository: one per unit of work, on its connection. Its SQL is split by meaning
across the mixins below; every row comes back as a named type of the domain (`Dossier`,
`HistoryEntry`, …), never as a record read by position."""

from __future__ import annotations

import asyncpg

from services.intake.adapters.catalogue_sql import CatalogueSql
from services.intake.adapters.citizen_sql import CitizenSql, KeyClaim, StoredFile
from services.intake.adapters.digitisation_sql import DigitisationSql
from services.intake.adapters.dossier_sql import DossierSql
from services.intake.adapters.logbook_sql import LogbookSql
from services.intake.adapters.supplement_sql import SupplementSql
from services.intake.adapters.tracking_sql import TrackingSql

__all__ = ["IntakeRepository", "KeyClaim", "StoredFile"]


class IntakeRepository(CatalogueSql, DossierSql, TrackingSql, CitizenSql, SupplementSql, LogbookSql, DigitisationSql):
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn
