"""The run options that shape a submission's period beyond its kind, year and BSID."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RunOptions:
    """Report options of a run beyond the period and the submission type."""

    co_teacher_roles: tuple[str, ...] = ()  # co-teacher roles that get class assignments
    report_core_flag: bool = False  # private schools: send CORE_FLAG in educator assignments
    board_settings: tuple[dict[str, Any], ...] = ()  # config values over board_settings (D310)
    output_name: str | None = None  # batch file name pattern from the config
    clear_flags: tuple[tuple[str, str], ...] = ()  # every CLEAR_* flag's value (D762)
    reupload: bool = False  # the values come from the re-upload preset

    def period_settings(self) -> dict[str, Any]:
        """The keyword arguments `resolve_period` takes from these options."""
        return {
            "co_teacher_roles": self.co_teacher_roles,
            "report_core_flag": self.report_core_flag,
            "output_name": self.output_name,
            "clear_flags": self.clear_flags,
        }
