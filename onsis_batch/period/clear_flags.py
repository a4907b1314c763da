"""The CLEAR_* flags of a batch file's SCHOOL: which areas OnSIS purges before loading it.

The flags, their rule-book values and what each purges are declared in
`segment_specs/envelope.yaml`. A run keeps those values unless told otherwise: `--reupload`
sets every flag to N (a corrected file re-uploaded during the period leaves what OnSIS
holds alone), `--clear NAME` sets one to Y and `--no-clear NAME` to N (D762). A name is
the flag's, with or without `CLEAR_`, in any case. The command line wins over the
configuration file, flag by flag.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from onsis_batch.specs import ElementSpec, load_envelope

PREFIX = "CLEAR_"
YES, NO = "Y", "N"


@dataclass(frozen=True)
class ClearChoice:
    """What a command line or a configuration file said about the CLEAR_* flags (flag
    names in full); an empty choice says nothing."""

    reupload: bool = False
    clear: tuple[str, ...] = ()
    no_clear: tuple[str, ...] = ()

    def conflicts(self) -> list[str]:
        """Why the choice contradicts itself: a flag both set and unset, or `reupload`
        (every flag N) with flags set to Y."""
        both = sorted(set(self.clear) & set(self.no_clear))
        problems = [f"{name} is both cleared and not cleared" for name in both]
        if self.reupload and self.clear:
            problems.append(f"re-upload sets every flag to N, yet {', '.join(self.clear)} is Y")
        return problems

    def values(self, under: Mapping[str, str] | None = None) -> dict[str, str]:
        """Every flag's value: this choice over `under` (a configuration file's values),
        over the rule book's."""
        values = dict(under) if under is not None else default_values()
        if self.reupload:
            values = dict.fromkeys(values, NO)
        values |= dict.fromkeys(self.no_clear, NO) | dict.fromkeys(self.clear, YES)
        return values


def clear_flags() -> tuple[ElementSpec, ...]:
    """The CLEAR_* elements of SCHOOL, in the order they are written."""
    return tuple(e for e in load_envelope().school if e.type == "clear_flag")


def default_values() -> dict[str, str]:
    """The rule book's value of every flag."""
    return {e.name: e.default or NO for e in clear_flags()}


def flag_name(text: str) -> str | None:
    """`class`, `CLEAR_CLASS` -> `CLEAR_CLASS`; None when no flag has that name."""
    name = text.strip().upper()
    name = name if name.startswith(PREFIX) else PREFIX + name
    return name if name in default_values() else None


def short_names() -> list[str]:
    """The flags' names without `CLEAR_`, as the options take them."""
    return [e.name.removeprefix(PREFIX) for e in clear_flags()]


def flags_set(values: Mapping[str, str]) -> list[str]:
    """The flags that are Y, in the order they are written."""
    return [name for name, value in values.items() if value == YES]


def effective(chosen: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """Every flag's value in a run that chose `chosen` (none: the rule book's values)."""
    return default_values() | dict(chosen)
