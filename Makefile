# fuelbot — the two commands a new user needs: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
# Tests wait on simulators more than they compute: one pytest-xdist worker per core, plus one.
PYTEST_WORKERS ?= -n $(shell echo $$(( $$(nproc) + 1 )))

.PHONY: demo test test-postgres typecheck bench setup lab clean

$(VENV)/.installed: requirements.txt requirements-test.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "installing Python 3.11 from Debian's packages"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv; }
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV) || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-test.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .   # the `fuelbot` command; imports stay the repo's
	touch $@

setup: $(VENV)/.installed  ## virtualenv + vcsim (installs golang-go and govmomi from Debian when missing) + chromium
	$(PY) -m sim.vcenter.build
	@command -v chromium >/dev/null || { echo "installing Debian's chromium (the job page's browser test)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

demo: setup  ## the embedded lab, the bot and a local Slack in this terminal
	$(PY) app.py console

lab: setup  ## only the simulators, on 127.0.0.1:8989 (vCenter) and 127.0.0.1:8000 (Fuel)
	$(PY) app.py lab

test: setup  ## mypy, then the whole suite on SQLite (set FUELBOT_TEST_DATABASE_URL for PostgreSQL)
	$(PY) -m mypy
	$(PY) -m pytest -q $(PYTEST_WORKERS)

test-postgres: setup  ## the whole suite on a local PostgreSQL server (installed and started for you)
	FUELBOT_TEST_DATABASE_URL=$$(bash .ci/postgres.sh) $(PY) -m pytest -q $(PYTEST_WORKERS)

typecheck: setup  ## mypy on the product code (settings in pyproject.toml)
	$(PY) -m mypy

bench: setup  ## every benchmark (each prints its figures and one JSON line), then one summary line (~6 min on 2 cores)
	@mkdir -p var/bench && rm -f var/bench/bench_*.out
	@failed=""; for b in bench/bench_*.py; do m=$$(basename $$b .py); echo "== $$m"; \
	  $(PY) -m bench.$$m 2>&1 | tee var/bench/$$m.out; [ $${PIPESTATUS[0]} -eq 0 ] || failed="$$failed $$m"; done; \
	  echo "== summary"; $(PY) -m bench.summary var/bench; \
	  if [ -n "$$failed" ]; then echo "failed:$$failed" >&2; exit 1; fi

clean:
	rm -rf $(VENV) build var .pytest_cache
