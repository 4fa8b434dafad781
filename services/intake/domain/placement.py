"""Where a dossier goes: the competent agency that resolves it, and the agency that received it.

Since the two-level reform a citizen may hand papers in for a commune-level procedure at any
commune's one-stop counter (receipt regardless of administrative boundary); the dossier is then
resolved, numbered and counted as described in docs/domain.md ("Receipt on behalf").
Pure: the agencies are handed in.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.intake.domain.catalogue import Agency, Procedure
from shared.errors import Forbidden, InvalidRequest


@dataclass(frozen=True)
class Placement:
    competent: Agency  # resolves the dossier; its worklists and statistics hold it
    receiving: Agency  # took the papers in; the code's prefix and number are its own

    @property
    def on_behalf(self) -> bool:
        return self.receiving.id != self.competent.id


def place(
    procedure: Procedure, requested: str | None, clerk_agency: str | None, agencies: dict[str, Agency]
) -> Placement:
    """The placement of a reception by a clerk of `clerk_agency` (None: centre-wide, or online).

    The competent agency is the one asked for; else the clerk's own when it performs the
    procedure; else the only agency that does. InvalidRequest when none of these fits,
    Forbidden when the clerk's agency may not receive for it."""
    performers = procedure.agencies
    if requested is not None:
        competent_id = requested
    elif clerk_agency in performers:
        competent_id = clerk_agency
    elif len(performers) == 1:
        competent_id = performers[0]
    else:
        raise InvalidRequest(
            f"Thủ tục {procedure.code} do nhiều cơ quan giải quyết: chọn cơ quan giải quyết (agency_id)",
            f"Procedure {procedure.code} is performed by several agencies: choose the competent one (agency_id)",
            field="agency_id",
        )
    if competent_id not in performers or competent_id not in agencies:
        raise InvalidRequest(
            f"Cơ quan {competent_id} không giải quyết thủ tục {procedure.code}",
            f"Agency {competent_id} does not perform procedure {procedure.code}",
            field="agency_id",
        )
    competent = agencies[competent_id]
    if clerk_agency is None or clerk_agency == competent_id:
        return Placement(competent, competent)
    receiving = agencies.get(clerk_agency)
    if receiving is not None and may_receive_for(receiving, competent, procedure):
        return Placement(competent, receiving)
    raise Forbidden(
        f"Cán bộ của cơ quan {clerk_agency} không được tiếp nhận hồ sơ thủ tục {procedure.code} "
        f"thay cho cơ quan {competent_id}",
        f"A clerk of agency {clerk_agency} may not receive procedure {procedure.code} for agency {competent_id}",
        agency_id=competent_id,
    )


def may_receive_for(receiving: Agency, competent: Agency, procedure: Procedure) -> bool:
    """A commune receives commune-level procedures for any other commune; an agency receives for
    the branches under it (a department's one-stop desk for its land registration office)."""
    if receiving.level == "commune" and competent.level == "commune" and procedure.commune_level:
        return True
    return competent.parent_id == receiving.id
