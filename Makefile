PY ?= .venv/bin/python

.PHONY: setup test lint docs bench sample clean

setup:
	python3 -m venv .venv && .venv/bin/pip install -q -e '.[dev]'

test:
	$(PY) -m pytest -q

lint:
	$(PY) -m ruff check onsis_batch tests benchmarks

docs:
	$(PY) -m onsis_batch docs

sample:
	$(PY) -m onsis_batch generate --sample --out out

bench:
	$(PY) benchmarks/bench.py

clean:
	rm -rf out bench_out .pytest_cache .ruff_cache
