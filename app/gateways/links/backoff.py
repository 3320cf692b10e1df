"""Rebind delays: exponential, capped, with jitter so many binds do not reconnect in step."""

from __future__ import annotations

import random


def rebind_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Between half and all of min(cap, base * 2^attempt) ("equal jitter")."""
    ceiling = min(cap, base * (2 ** min(attempt, 30)))
    return ceiling * (rng or random).uniform(0.5, 1.0)
