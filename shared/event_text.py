"""Staff's words on lifecycle events: sealed as they enter the outbox, opened as a consumer reads them.

Every `reason` of an event (a status change's, an apology's, a trip to another agency and back,
the steps of an imported history) leaves as `reason_sealed`, bound to the dossier's code and the
event's type; the producing service keeps the clear text in its own database. Intake and
resolution open what they read, so their domain code sees `reason` as before; stats holds no key
and never looks. Events written before carry `reason` in clear and are read as they are.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel

from shared.events import Event
from shared.sealed_text import UNREADABLE, KeyRing, open_text

M = TypeVar("M", bound=BaseModel)


def context(event: Event) -> bytes:
    """What a sealed text is bound to: it opens only on this dossier's event of this type."""
    return f"{event.dossier_code}\n{event.type}".encode()


def _each_reason(model: M, change) -> M:
    """`model` with `change(reason, reason_sealed)` -> (reason, reason_sealed) applied to it and to
    its imported history's steps."""
    update = {}
    if "reason_sealed" in type(model).model_fields:
        reason, sealed = change(getattr(model, "reason"), getattr(model, "reason_sealed"))  # noqa: B009 - any payload
        update = {"reason": reason, "reason_sealed": sealed}
    imported = getattr(model, "imported", None)
    if imported is not None and imported.steps:
        update["imported"] = imported.model_copy(update={"steps": [_each_reason(s, change) for s in imported.steps]})
    return model.model_copy(update=update) if update else model


class EventTexts:
    """One service's sealing and opening, with its key ring (None: a reader without keys)."""

    def __init__(self, ring: KeyRing | None):
        self.ring = ring

    def seal(self, message: M) -> M:
        """An event with its texts sealed (any other message as it is), for the outbox."""
        if not isinstance(message, Event):
            return message
        ring, bound = self.ring, context(message)

        def sealed(reason: str | None, already: str | None) -> tuple[str | None, str | None]:
            if reason is None:
                return None, already
            return (None, ring.seal(reason, bound)) if ring else (UNREADABLE, None)  # no key: the words stay home

        return message.model_copy(update={"payload": _each_reason(message.payload, sealed)})

    def open(self, event: Event) -> Event:
        """The event with its sealed texts in `reason` (or the fixed phrase where they cannot be read)."""
        bound = context(event)

        def opened(reason: str | None, sealed: str | None) -> tuple[str | None, None]:
            return (open_text(self.ring, sealed, bound) if sealed is not None else reason), None

        return event.model_copy(update={"payload": _each_reason(event.payload, opened)})
