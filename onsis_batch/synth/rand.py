"""Fast draws from `random.Random`: `choice` and `randint` cost several times a `random()`,
which adds up over millions of draws for a board-sized run."""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Sequence
from fractions import Fraction
from typing import Any, TypeVar

T = TypeVar("T")


def one_of(rng: random.Random, items: Sequence[T]) -> T:
    """One of `items`, each as likely."""
    return items[int(rng.random() * len(items))]


def between(rng: random.Random, low: int, high: int) -> int:
    """An integer in [low, high]."""
    return low + int(rng.random() * (high - low + 1))


class Weighted:
    """Values with weights (shares), drawn by bisecting precomputed cumulative weights."""

    __slots__ = ("cumulative", "values")

    def __init__(self, weighted: dict[Any, float]) -> None:
        self.values = tuple(weighted)
        self.cumulative = tuple(itertools.accumulate(weighted.values()))

    def draw(self, rng: random.Random) -> Any:
        """One value, drawn with its weight."""
        index = bisect.bisect_right(self.cumulative, rng.random() * self.cumulative[-1])
        return self.values[min(index, len(self.values) - 1)]


def pick(rng: random.Random, weighted: dict[Any, float]) -> Any:
    """One key, drawn with its weight."""
    roll = rng.random() * sum(weighted.values())
    items = iter(weighted.items())
    value, weight = next(items)
    while roll >= weight:
        roll -= weight
        value, weight = next(items, (value, float("inf")))  # float rounding: keep the last
    return value


def share_of(rng: random.Random, size: int, share: float | Fraction, least: int = 1) -> list[int]:
    """Positions of about `share` of `size` items (at least `least` of them while there are
    that many), in order. A Fraction share rounds exactly (as `size / n` does)."""
    count = min(size, max(least, round(share * size)))
    return sorted(rng.sample(range(size), count))


def some_of(
    rng: random.Random, pool: Sequence[T], share: float | Fraction, least: int = 1
) -> list[T]:
    """About `share` of `pool` (at least `least` while it lasts), in pool order."""
    return [pool[i] for i in share_of(rng, len(pool), share, least)]


def take_share(
    rng: random.Random, pool: list[T], share: float | Fraction, least: int = 1
) -> list[T]:
    """Remove and return about `share` of `pool` (at least `least` while it lasts), in pool
    order."""
    chosen = share_of(rng, len(pool), share, least)
    picked = [pool[i] for i in chosen]
    for i in reversed(chosen):
        pool.pop(i)
    return picked
