# Two set-up commands on a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# pytest workers: three on two cores keep both busy while Pilot, tmux and sshd tests wait on
# their programs (measured on a quiet 2-core machine: 5:03 with two, 4:18 with three, 4:14 with four)
WORKERS ?= 3
DEMO   := .demo
## make bench SIZE=province BENCH_ARGS="--only compile" (every row with its same-run baseline,
## then the growth table county → city → province over the cached vaults)
SIZE   ?= county
BENCH_ARGS ?=

.PHONY: demo test test-stress lint typecheck contracts unit venv i18n roles-doc bench load deploy-server clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

## Build a fictitious county bureau in a fresh demo vault and open the TUI on it.
demo: $(STAMP)
	rm -rf $(DEMO)
	mkdir -p $(DEMO) && chmod 700 $(DEMO)
	$(BIN)/counselor-tui --vault $(DEMO)/demo.db demo --size county --seed 1

## The whole suite: import contracts, lint, types, tests (unit, functional, snapshots, security, e2e).
test: $(STAMP)
	./.ci/system-deps
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -n $(WORKERS) --dist worksteal

## Flakiness check: the functional and end-to-end tests 3 times in a row with a busy loop on
## every core (.ci/cpu-hog); fails on any failure. ROUNDS=n changes the count.
test-stress: $(STAMP)
	./.ci/system-deps
	./.ci/stress-tests

contracts: $(STAMP)
	$(BIN)/lint-imports

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

## Recompile the gettext catalogs (.po -> .mo) after editing translations.
i18n: $(STAMP)
	$(BIN)/python -m counselor_tui.i18n_tools compile

## docs/roles.md from the code's own role table (tests/unit/test_permissions.py compares them).
roles-doc: $(STAMP)
	$(BIN)/python -c "from counselor_tui.domain.permissions import markdown_table as t; print(t(), end='')" > docs/roles.md

bench: $(STAMP)
	$(BIN)/python -m benchmarks --size $(SIZE) $(BENCH_ARGS)

## 30 processes on one vault for 60 s (24 log sessions, 4 read, 1 compiles, 1 backs up), then check.
load: $(STAMP)
	$(BIN)/python -m benchmarks.load $(LOAD_ARGS)

## Set up a Debian bureau server (as root): service account, sshd Match block, backup timer.
deploy-server:
	./deploy/setup-bureau-server.sh install

clean:
	rm -rf $(VENV) $(DEMO) .stress build *.egg-info .pytest_cache .mypy_cache .ruff_cache
