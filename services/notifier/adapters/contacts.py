"""A dossier's contact and opt-in, read from intake over its internal API with the services' token.
Kept in memory only for the send; never stored, logged or published."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from services.notifier.domain.messages import SendFailed


@dataclass(frozen=True, repr=False)  # repr=False: a stray log line shows no address
class Contact:
    email: str | None
    phone: str | None
    channels: frozenset[str] = field(default_factory=frozenset)


class IntakeContacts:
    def __init__(self, base_url: str, token: str, client: httpx.AsyncClient):
        self.base_url, self.token, self.client = base_url.rstrip("/"), token, client

    async def contact(self, code: str) -> Contact | None:
        """None when intake knows no such dossier (nothing to send to)."""
        try:
            response = await self.client.get(
                f"{self.base_url}/api/v1/internal/dossiers/{code}/contact",
                headers={"authorization": f"Bearer {self.token}"},
                timeout=10,
            )
        except httpx.HTTPError as exc:
            raise SendFailed(f"intake unreachable: {type(exc).__name__}") from None
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise SendFailed(f"intake contact HTTP {response.status_code}")
        body = response.json()
        return Contact(body.get("email"), body.get("phone"), frozenset(body.get("notify", [])))
