# zhuanlan — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test check install test-deps services clean bench

$(PY):
	$(PYTHON) -m venv $(VENV)
	# The machine's pip 23.2 cannot resolve trafilatura's lxml extras.
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) -m zhuanlan init
	$(PY) -m zhuanlan run

# Debian packages and local services the test suite needs (PostgreSQL, Chromium).
services:
	bash scripts/test-services.sh

# Lint and types first: they take seconds and fail before the eight-minute suite.
check: install
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy

test: install services check
	$(PY) -m pytest $(PYTEST_ARGS)

bench: install
	$(PY) -m pip install --quiet -e '.[test,bench]'
	$(PY) bench/extraction.py
	$(PY) bench/cleaning.py
	$(PY) bench/selection.py
	$(PY) bench/dedup.py
	$(PY) bench/push.py
	$(PY) bench/reader.py

clean:
	rm -rf $(VENV) build *.egg-info
