"""Whether stats and resolution agree on a dossier, judged at the same seq mark. Pure.

Both consume the lifecycle topic on their own, so at any moment one may be some events behind
the other: a difference means something only when both describe the dossier at the same seq.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

Verdict = Literal["agree", "differ", "behind"]


class StatsSide(NamedTuple):
    """Stats' view of one dossier: accepted or not, its seq mark, its status now, and its status
    as of the seq resolution gave (from its steps: only status changes make a step)."""

    accepted: bool
    last_seq: int
    status: int
    status_at: int | None


def verdict(theirs: tuple[int, int] | None, ours: StatsSide | None) -> Verdict:
    """For resolution's (status, seq) of a dossier (None: no case there) and stats' side (None:
    no fact): "behind" while one side has not seen what the other has, else "agree" or "differ"."""
    if theirs is None:
        return "behind" if ours is not None and ours.accepted else "agree"  # resolution has yet to open it
    status, seq = theirs
    if ours is None or ours.last_seq < seq:
        return "behind"
    # At the same mark the fact row itself is compared; when stats is ahead, its step at that mark.
    return "agree" if (ours.status if ours.last_seq == seq else ours.status_at) == status else "differ"
