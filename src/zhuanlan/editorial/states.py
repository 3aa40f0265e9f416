"""States as enums with a transition table, changed in one function that refuses an
illegal move (listmonk's way)."""

from __future__ import annotations

from zhuanlan.errors import InvalidTransition
from zhuanlan.model import CandidateState as C

CANDIDATE_MOVES: dict[C, frozenset[C]] = {
    C.PENDING: frozenset({C.APPROVED, C.REJECTED}),
    # Undo of a decision goes back to the queue; a decision may also be reversed directly.
    C.APPROVED: frozenset({C.PENDING, C.REJECTED, C.PUBLISHED}),
    C.REJECTED: frozenset({C.PENDING, C.APPROVED}),
    C.PUBLISHED: frozenset(),
}

ACTIONS: dict[str, C] = {"approve": C.APPROVED, "reject": C.REJECTED, "undo": C.PENDING}


def move(current: C | str, target: C | str, *, resource: str | None = None) -> C:
    """Return ``target`` if the move from ``current`` is allowed.

    Raises InvalidTransition otherwise (e.g. un-publishing a published candidate).
    """
    cur, tgt = C(current), C(target)
    if tgt not in CANDIDATE_MOVES[cur]:
        raise InvalidTransition(f"cannot move a candidate from {cur.value} to {tgt.value}",
                                resource=resource)
    return tgt
