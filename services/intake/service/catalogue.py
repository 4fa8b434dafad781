"""Loading a catalogue file (data, not code) into intake's database."""
from __future__ import annotations

import json
from pathlib import Path

import asyncpg

from services.intake.adapters import repository as repo
from services.intake.domain.catalogue import Catalogue

DEMO_CATALOGUE = Path(__file__).resolve().parents[1] / "data" / "demo_catalogue.json"


def read_catalogue(path: Path) -> Catalogue:
    return Catalogue.model_validate(json.loads(path.read_text(encoding="utf-8")))


async def load(pool: asyncpg.Pool, path: Path) -> int:
    """Idempotent: loading the same version again adds nothing."""
    catalogue = read_catalogue(path)
    async with pool.acquire() as conn, conn.transaction():
        return await repo.load_catalogue(conn, catalogue)
