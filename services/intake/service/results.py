"""The applicant's electronic result (issue 15): resolution keeps the signed PDF; intake, which owns
the applicant's door, passes it on under a name of its own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from services.intake.adapters.resolution_results import no_electronic_result
from services.intake.domain.uploads import result_name, sniff


async def result_for_applicant(fetch: Callable[[str], Awaitable[bytes]], code: str) -> tuple[str, bytes]:
    """(the name it is served under, the PDF), for an applicant already let through the door."""
    pdf = await fetch(code)
    if sniff(pdf) != "application/pdf":  # served as a PDF only when it is one
        raise no_electronic_result(code)
    return result_name(code), pdf
