"""Fast draws from `random.Random`: `choice` and `randint` cost several times a `random()`,
which adds up over millions of draws for a board-sized run."""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def one_of(rng: random.Random, items: Sequence[T]) -> T:
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
