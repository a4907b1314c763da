"""The engine our lazy polars queries run on.

Polars 2 runs `collect()` on its streaming engine by default. Our queries are small (one
BSID's rows, one table's checks) and many, and on them the streaming engine's set-up costs
about three times the in-memory engine's whole run (D1030): a render took 150 ms of CPU per
BSID instead of 74. Queries over a board's staged data, which may not fit in memory, name
the streaming engine instead (run/slicing.py, run/pae_stage.py).
"""

from __future__ import annotations

from typing import Final, Literal

IN_MEMORY: Final[Literal["in-memory"]] = "in-memory"
