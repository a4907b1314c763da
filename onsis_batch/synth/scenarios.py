"""Which students play which scenario, and the overlays (traits) some of them also carry."""

from __future__ import annotations

import random
from dataclasses import dataclass

from onsis_batch.synth.rand import some_of

# Share of students per scenario; `returning` takes whatever is left.
SCENARIO_SHARES = {
    "new": 0.18,
    "new_later": 0.03,
    "non_returning": 0.08,
    "transferred_out": 0.025,
    "internal_transfer": 0.005,
    "enter_and_leave": 0.01,
    "cross_enrolled": 0.03,
    "no_show": 0.01,
    "same_day": 0.005,
    "excluded": 0.01,
}
SCENARIOS = ("returning", *SCENARIO_SHARES)
MIN_STUDENTS_FOR_ALL = 50  # from this size on, every scenario and overlay occurs at least once

ENROLLED = ("returning", "new", "new_later", "transferred_out", "internal_transfer")


@dataclass(frozen=True)
class Overlay:
    """A trait some students carry on top of their scenario."""

    share: float
    among: tuple[str, ...]  # scenarios whose students may carry it
    unless: str | None = None  # an overlay it cannot be combined with


OVERLAYS = {
    "part_time": Overlay(0.05, ENROLLED),
    "missing_oen": Overlay(0.01, ("new", "new_later", "enter_and_leave", "same_day")),
    "dashed_oen": Overlay(0.01, ("returning", "new", "non_returning"), unless="missing_oen"),
    "mature": Overlay(0.005, ("returning", "new")),
    "gender_specified": Overlay(0.01, SCENARIOS),
    "legal_name_differs": Overlay(0.06, SCENARIOS),
    "outside_ontario": Overlay(0.01, ("returning", "new", "new_later")),
    "over_999_hours": Overlay(0.003, ("returning",)),
    "not_main_school": Overlay(0.003, ("returning",), unless="part_time"),
}


def allocate(rng: random.Random, students: int) -> list[str]:
    """One scenario per student, shuffled, in realistic proportions."""
    floor = 1 if students >= MIN_STUDENTS_FOR_ALL else 0
    counts = {name: max(floor, int(share * students)) for name, share in SCENARIO_SHARES.items()}
    returning = students - sum(counts.values())
    scenarios = ["returning"] * returning + [n for n, c in counts.items() for _ in range(c)]
    rng.shuffle(scenarios)
    return scenarios


def gather_internal_transfers(scenarios: list[str], first_block: int) -> None:
    """Move internal transfers into the first school's block, the only BSID with two schools.

    Swapping keeps every count; transfers that do not fit become returning students.
    """
    outside_kinds = ("internal_transfer",)
    outside = [i for i in range(first_block, len(scenarios)) if scenarios[i] in outside_kinds]
    inside = [i for i in range(first_block) if scenarios[i] == "returning"]
    inside += [i for i in range(first_block) if scenarios[i] not in ("returning", *outside_kinds)]
    for i, j in zip(outside, inside, strict=False):
        scenarios[i], scenarios[j] = scenarios[j], scenarios[i]
    for i in outside[len(inside) :]:
        scenarios[i] = "returning"


def choose_overlays(rng: random.Random, scenarios: list[str]) -> dict[str, set[int]]:
    """Student indexes carrying each overlay."""
    floor = 1 if len(scenarios) >= MIN_STUDENTS_FOR_ALL else 0
    chosen: dict[str, set[int]] = {}
    for name, overlay in OVERLAYS.items():
        barred = chosen.get(overlay.unless or "", set())
        eligible = [i for i, s in enumerate(scenarios) if s in overlay.among and i not in barred]
        chosen[name] = set(some_of(rng, eligible, overlay.share, least=floor))
    return chosen
