"""Idempotency-Key for receiving a dossier: claimed and completed inside the dossier's transaction."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Callable

from services.intake.adapters import idempotency
from shared.errors import InvalidRequest


class Once:
    """One request under an Idempotency-Key: the key, a fingerprint of the request, and how the
    answer is rendered (it is kept as rendered, so a retry gets exactly the same answer)."""

    def __init__(self, key: str, fingerprint: str, render: Callable[[dict], dict]):
        self.key, self.fingerprint, self.render = key, fingerprint, render
        self.answer: dict | None = None
        self.replayed = False

    async def claim(self, conn, now: datetime) -> bool:
        """True when the key was taken by an earlier request with the same fingerprint: `answer`
        is then that request's answer. A different request under the key is refused."""
        earlier = await idempotency.claim(conn, self.key, self.fingerprint, now)
        if earlier is None:
            return False
        if earlier["fingerprint"] != self.fingerprint:
            raise InvalidRequest("Khóa Idempotency-Key này đã được dùng cho một yêu cầu khác; "
                                 "hãy dùng khóa mới cho hồ sơ mới",
                                 "This Idempotency-Key was already used with a different request; "
                           "use a new key for a new dossier", field="Idempotency-Key")
        self.answer, self.replayed = json.loads(earlier["response"]), True
        return True

    async def complete(self, conn, row: dict) -> dict:
        self.answer = self.render(row)
        await idempotency.complete(conn, self.key, row["code"], self.answer)
        return self.answer
