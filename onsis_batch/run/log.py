"""Log lines for unattended runs: one per event, plain text or JSON (`--log-json`).

Cron mails or collects stderr, so the lines carry only what is safe to keep: BSIDs, file
names, counts, finding codes (with the input file, row and column they point at), timings
and exit codes. Never a name, a birth date or an OEN: callers pass counts, not records, and
`event` refuses fields it does not know. Every line has a level (info, warning, error), so a
log collector can pick out the schools to look at (D894).
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any, TextIO

# The only fields a log line may carry; anything else is a programming error.
LEVELS = ("info", "warning", "error")
FIELDS = frozenset(
    {
        "bsid",
        "bsids",
        "period",
        "school_year",
        "workers",
        "exit_code",
        "students",
        "errors",
        "warnings",
        "notes",
        "code",
        "codes",
        "file",
        "row",
        "column",
        "output",
        "seconds",
        "out_dir",
        "removed",
    }
)


class RunLog:
    """Event lines on `stream` (stderr); a disabled log still checks its fields."""

    def __init__(self, as_json: bool, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.as_json, self.enabled = as_json, enabled
        self.stream = stream if stream is not None else sys.stderr

    def event(self, name: str, level: str = "info", **fields: Any) -> None:
        """Write one event line at `level`; ValueError for a field not in `FIELDS` or a
        level not in `LEVELS`."""
        unknown = set(fields) - FIELDS
        if unknown:
            raise ValueError(f"log fields not allowed: {', '.join(sorted(unknown))}")
        if level not in LEVELS:
            raise ValueError(f"log level not known: {level}")
        if not self.enabled:
            return
        stamp = datetime.now().astimezone().isoformat(timespec="seconds")
        if self.as_json:
            line = json.dumps({"time": stamp, "level": level, "event": name, **fields}, default=str)
        else:
            details = " ".join(f"{key}={value}" for key, value in fields.items())
            line = f"{stamp} {level} {name} {details}".rstrip()
        print(line, file=self.stream, flush=True)
