"""Log lines for unattended runs: one per event, plain text or JSON (`--log-json`).

Cron mails or collects stderr, so the lines carry only what is safe to keep: BSIDs, file
names, counts, finding codes, timings and exit codes. Never a name, a birth date or an
OEN: callers pass counts, not records, and `event` refuses fields it does not know.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any, TextIO

# The only fields a log line may carry; anything else is a programming error.
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
        "codes",
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

    def event(self, name: str, **fields: Any) -> None:
        """Write one event line; ValueError for a field not in `FIELDS`."""
        unknown = set(fields) - FIELDS
        if unknown:
            raise ValueError(f"log fields not allowed: {', '.join(sorted(unknown))}")
        if not self.enabled:
            return
        stamp = datetime.now().astimezone().isoformat(timespec="seconds")
        if self.as_json:
            line = json.dumps({"time": stamp, "event": name, **fields}, default=str)
        else:
            details = " ".join(f"{key}={value}" for key, value in fields.items())
            line = f"{stamp} {name} {details}".rstrip()
        print(line, file=self.stream, flush=True)
