PY ?= .venv/bin/python

.PHONY: setup test lint docs guide guide-serve bench bench-board bench-diff bench-province sample wheel clean refresh-sample

setup:
	python3 -m venv .venv && .venv/bin/pip install -q -c constraints.txt -e '.[dev]'

test:
	$(PY) -m pytest -n 2

lint:
	$(PY) -m ruff check onsis_batch tests benchmarks docs/guide
	$(PY) -m ruff format --check onsis_batch tests benchmarks docs/guide
	$(PY) -m mypy

docs:
	$(PY) -m onsis_batch docs

# The user guide as a site in build/site (mkdocs.yml); warnings, such as a broken link, are errors.
guide:
	$(PY) -m mkdocs build --strict

# The same site served at http://127.0.0.1:8000, rebuilt as pages are edited.
guide-serve:
	$(PY) -m mkdocs serve

sample:
	$(PY) -m onsis_batch generate --sample --period oct --out out

# Build the wheel, install it in a fresh virtual environment and run it from elsewhere.
wheel:
	bash .ci/wheel.sh
bench:
	$(PY) benchmarks/bench.py

bench-board:
	$(PY) benchmarks/bench_board.py

# Peak memory of diff, diff --pae and results on large files (SIZE_MB each, default 100).
bench-diff:
	$(PY) benchmarks/bench_diff.py --size-mb $(or $(SIZE_MB),100)

# 880 schools, 700,000 students: synthesised once (minutes), kept in bench_out/province.
bench-province:
	$(PY) benchmarks/bench_province.py

clean:
	rm -rf out bench_out .pytest_cache .ruff_cache

# Rebuild the bundled sample school from the synthetic generator (then refresh the golden file).
refresh-sample:
	rm -rf build/sample && $(PY) -m onsis_batch synth --students 300 --seed 1 --out build/sample
	rm -rf sample_data pae_samples && mkdir -p sample_data pae_samples
	cp build/sample/data/*.csv sample_data/ && cp -r build/sample/pae/* pae_samples/
	printf 'bsid: "%s"\nschool_year: "2025-2026"\n' $$(head -2 sample_data/schools.csv | tail -1 | cut -d, -f2) > sample_data/sample.yaml
	$(PY) tests/golden/refresh.py   # also records the library versions
