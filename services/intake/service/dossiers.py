"""What intake's use cases share (the producer's name, the units of work, NotFound), and what
staff read: lists, one dossier, its history, the catalogue in force, what a slip prints."""

from __future__ import annotations

from datetime import date

from services.intake.adapters.repository import IntakeRepository
from services.intake.domain.catalogue import Agency, Procedure
from services.intake.domain.dossier import (
    Applicant,
    Dossier,
    HistoryEntry,
)
from shared.auth import Account
from shared.errors import NotFound
from shared.uow import Units

PRODUCER = "intake"

IntakeUnits = Units[IntakeRepository]


def not_found(code: str) -> NotFound:
    return NotFound(f"Không tìm thấy hồ sơ {code}", f"Dossier {code} not found")


async def reread(repo: IntakeRepository, code: str) -> Dossier:
    dossier = await repo.get_dossier(code)
    assert dossier is not None, f"{code} vanished inside its own transaction"
    return dossier


async def catalogue_in_force(units: IntakeUnits, day: date, agency: str | None) -> tuple[list[Agency], list[Procedure]]:
    """The agencies, and the procedures in force on `day` (of one agency, if given)."""
    async with units() as uow:
        return await uow.repo.agencies(), await uow.repo.current_procedures(day, agency)


async def list_visible(
    units: IntakeUnits, account: Account, *, status: int | None, agency: str | None, limit: int, offset: int
) -> list[Dossier]:
    """Newest first; an account with an agency sees that agency's only."""
    async with units() as uow:
        return await uow.repo.list_dossiers(
            status=status, agency_id=account.agency_filter(agency), limit=limit, offset=offset
        )


async def get_visible(units: IntakeUnits, code: str, account: Account) -> Dossier:
    async with units() as uow:
        dossier = await uow.repo.get_dossier(code)
    if dossier is None:
        raise not_found(code)
    ensure_sees(account, dossier)
    return dossier


async def contact(units: IntakeUnits, code: str) -> Applicant:
    """The applicant's contact and choice of notices, for the notifier (over the internal API only)."""
    async with units() as uow:
        dossier = await uow.repo.get_dossier(code)
    if dossier is None:
        raise not_found(code)
    return dossier.applicant


def ensure_sees(account: Account, dossier: Dossier) -> None:
    """The competent agency's staff see a dossier, and so does the clerk's agency that received it
    on its behalf (to print the slip and answer the citizen); Forbidden for others."""
    if dossier.receiving_agency_id is not None and account.sees(dossier.receiving_agency_id):
        return
    account.ensure_agency(dossier.agency_id, dossier.code)


async def history_visible(units: IntakeUnits, code: str, account: Account) -> list[HistoryEntry]:
    await get_visible(units, code, account)
    async with units() as uow:
        return await uow.repo.history(code)


async def for_slip(units: IntakeUnits, code: str, account: Account) -> tuple[Dossier, Procedure, str]:
    """What forms 01 and 03 print: the dossier, its procedure as received, and the name of the agency
    that received it (with the competent one's when it received on that one's behalf)."""
    dossier = await get_visible(units, code, account)
    async with units() as uow:
        procedure = await uow.repo.procedure_version(dossier.procedure_code, dossier.procedure_version)
        ids = [dossier.agency_id, *([dossier.receiving_agency_id] if dossier.receiving_agency_id else [])]
        agencies = await uow.repo.agencies_by_id(ids)
    names = [agencies[i].name if i in agencies else i for i in ids]
    return dossier, procedure, names[0] if len(names) == 1 else f"{names[1]} (tiếp nhận thay {names[0]})"
