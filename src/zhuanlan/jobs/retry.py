"""Retry timing shared by the jobs."""

from __future__ import annotations

import random
from datetime import timedelta


def backoff(attempts: int, *, base: float, cap: float) -> timedelta:
    """Exponential backoff with jitter: between half and all of base·2^(attempts-1),
    capped. Jitter keeps many failed rows from retrying in the same second."""
    delay = min(cap, base * (2 ** max(attempts - 1, 0)))
    return timedelta(seconds=random.uniform(delay / 2, delay))
