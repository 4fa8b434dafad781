"""Idempotency-Key for receiving a dossier: claimed and completed inside the dossier's transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from services.intake.adapters.repository import IntakeRepository
from services.intake.domain.dossier import Dossier
from shared.errors import InvalidRequest


class Once:
    """One request under an Idempotency-Key: the key, a fingerprint of the request, and how the
    answer is rendered (it is kept as rendered, so a retry gets exactly the same answer)."""

    def __init__(self, key: str, fingerprint: str, render: Callable[[Dossier], dict]):
        self.key, self.fingerprint, self.render = key, fingerprint, render
        self.answer: dict = {}
        self.replayed = False

    async def claim(self, repo: IntakeRepository, now: datetime) -> bool:
        """True when the key was taken by an earlier request with the same fingerprint: `answer`
        is then that request's answer. A different request under the key is refused."""
        earlier = await repo.claim_key(self.key, self.fingerprint, now)
        if earlier is None:
            return False
        if earlier.fingerprint != self.fingerprint:
            raise InvalidRequest(
                "Khóa Idempotency-Key này đã được dùng cho một yêu cầu khác; hãy dùng khóa mới cho hồ sơ mới",
                "This Idempotency-Key was already used with a different request; use a new key for a new dossier",
                field="Idempotency-Key",
            )
        self.answer, self.replayed = earlier.response or {}, True
        return True

    async def complete(self, repo: IntakeRepository, dossier: Dossier) -> dict:
        self.answer = self.render(dossier)
        await repo.complete_key(self.key, dossier.code, self.answer)
        return self.answer
