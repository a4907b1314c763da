"""The bundled sample school: where its data and PAE extracts live."""

from __future__ import annotations

from pathlib import Path

from onsis_batch.period.periods import default_period_code
from onsis_batch.resources import data_dir
from onsis_batch.strict_yaml import read_yaml


def sample_run(kind: str) -> tuple[Path, Path, str, str]:
    """(school data folder, PAE folder, BSID, school year) of the sample for a period."""
    data = data_dir("sample_data")
    facts = read_yaml(data / "sample.yaml", {"bsid": None, "school_year": None})
    school_year = str(facts["school_year"])
    code, _ = default_period_code(kind, school_year)
    return data, data_dir("pae_samples") / code, str(facts["bsid"]), school_year
