"""What the domain and the use cases say when they refuse: one exception per kind of refusal.

Each carries its message for people in Vietnamese and in English, and details a client may
act on (the current status, the allowed actions, the field at fault). They know nothing of
HTTP: the edge (`shared.http.install_error_handlers`) maps each kind to its status code in one
table, so a use case reads the same whether it is called from a route, a consumer or a test.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal, explained in both languages."""

    def __init__(self, vi: str, en: str, **detail: Any) -> None:
        super().__init__(en)
        self.vi, self.en, self.detail = vi, en, detail


class NotFound(DomainError):
    """No such dossier, case, attachment (or not one the caller may know of)."""


class Forbidden(DomainError):
    """The caller is known but may not do this: another agency's dossier, a centre-wide task."""


class InvalidRequest(DomainError):
    """What was asked cannot be done as asked: an unknown procedure, a period that ends before it
    starts, an idempotency key reused for another request, a file that is not what it says."""


class TooLarge(InvalidRequest):
    """More than a request may carry (lines of an import, bytes of a file)."""


class Conflict(DomainError):
    """The state of the thing does not allow it now: a move the status graph refuses, a second rating."""


class Unavailable(DomainError):
    """A service this one relies on cannot be reached now; the same request may succeed later."""


class UpstreamFailed(DomainError):
    """A service this one relies on answered, but not with what it must (a short export, say)."""
