"""The national portal's synchronisation API over HTTP (httpx): one call, and the status query of
the reconciliation. The shape is in docs/decisions.md ("National portal")."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from services.portal_sync.domain.mapping import PortalCall

SYNC_PATH = "/api/dongbo"
QUERY_PATH = f"{SYNC_PATH}/tracuu"


class PortalDown(Exception):
    """The portal cannot take the call now (unreachable, 5xx, throttled, our token refused): the
    same call is tried again later, nothing is given up."""


@dataclass(frozen=True)
class Answer:
    accepted: bool
    reason: str = ""


class PortalClient:
    def __init__(self, base_url: str, token: str | None, timeout_s: float):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.AsyncClient(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout_s)

    async def close(self) -> None:
        await self.http.aclose()

    async def send(self, call: PortalCall) -> Answer:
        """Accepted (2xx, also a replay the portal recognises by its key), or refused for good (4xx)."""
        try:
            response = await self.http.post(
                f"{SYNC_PATH}/{call.kind.value}", json=call.body, headers={"Idempotency-Key": call.key}
            )
        except httpx.HTTPError as exc:
            raise PortalDown(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code in (401, 403, 408, 429) or response.status_code >= 500:
            raise PortalDown(f"HTTP {response.status_code}: {response.text[:300]}")
        if response.is_success:
            return Answer(True)
        return Answer(False, f"HTTP {response.status_code}: {response.text[:500]}")

    async def statuses(self, codes: list[str]) -> dict[str, int | None]:
        """The portal's current status of each of `codes` (None: it does not know the dossier)."""
        try:
            response = await self.http.post(QUERY_PATH, json={"DanhSachMaHoSo": codes})
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise PortalDown(f"{type(exc).__name__}: {exc}") from exc
        found = {item["MaHoSo"]: item.get("TrangThaiHoSo") for item in response.json()["KetQua"]}
        return {code: found.get(code) for code in codes}
