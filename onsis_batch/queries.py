"""How our polars queries run: on which engine, and text formatted without `pl.format`.

Polars 2 runs `collect()` on its streaming engine by default. Our queries are small (one
BSID's rows, one table's checks) and many, and on them the streaming engine's set-up costs
about three times the in-memory engine's whole run (D1030): a render took 150 ms of CPU per
BSID instead of 74. Queries over a board's staged data, which may not fit in memory, name
the streaming engine instead (run/slicing.py, run/pae_stage.py).
"""

from __future__ import annotations

from typing import Final, Literal

import polars as pl

IN_MEMORY: Final[Literal["in-memory"]] = "in-memory"


def format_text(template: str, *values: pl.Expr) -> pl.Expr:
    """`template` with each `{}` replaced by the next value as text (null when a value is
    null), as `pl.format` does; `pl.format` panicked on some filtered frames of damaged
    files (polars 2.1, "assertion failed: i < self.len()"), which no caller catches."""
    texts = template.split("{}")
    if len(texts) != len(values) + 1:
        raise ValueError(f"{template!r} has {len(texts) - 1} places for {len(values)} values")
    parts = [pl.lit(texts[0])]
    for value, text in zip(values, texts[1:], strict=True):
        parts += [value.cast(pl.String), pl.lit(text)]
    return pl.concat_str(parts)
