# Connect Lab. Every target creates or reuses .venv and installs what it needs.
#   make run    every notebook, headless, on the embedded emulator (report in build/)
#   make test   lint + unit/contract tests + notebooks through nbval
#   make lab    JupyterLab on the tutorial
#   make bench  the performance record (emulator vs localstripe)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export STRIPE_CLI_TELEMETRY_OPTOUT := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test lab bench lint venv system clean notebooks clean-stripe

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[lab,browser,dev,bench]'
	@# What tests/plugin's wheel test installs into a fresh venv, offline: the core
	@# dependencies and pytest (+ xdist), fetched now, at install time.
	$(BIN)/python -m pip download --quiet -d $(VENV)/wheelhouse \
		'stripe>=16,<17' 'werkzeug>=3.0' 'simple-websocket>=1.0' 'pytest>=8.0' 'pytest-xdist>=3.5'
	@touch $(STAMP)

venv: $(STAMP)

# System packages and npm tools used by the browser tests and the Stripe CLI notebooks.
system: $(VENV)/.system
$(VENV)/.system: scripts/install-system.sh | $(STAMP)
	bash scripts/install-system.sh
	@touch $@

run: $(STAMP) system
	$(BIN)/python -m harness run

test: $(STAMP) system
	$(BIN)/ruff check harness tests bench
	$(BIN)/python -m pytest -q --nbval --nbval-sanitize-with tests/notebooks/sanitize.cfg \
		--nbval-current-env tests notebooks

# Re-execute notebooks and store the outputs they really produce (NB=name to pick some).
notebooks: $(STAMP) system
	$(BIN)/python -m harness run --update $(NB)

# As root (a container, a VM) JupyterLab wants --allow-root; elsewhere it is not passed.
lab: $(STAMP) system
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/

bench: $(STAMP) system
	$(BIN)/python bench/bench.py
	@echo "## Workshop load: 30 learners on one standalone emulator (file database)"
	$(BIN)/python bench/workshop.py 30
	@echo "## One platform advances its clock 10 years with 150 accounts; another keeps calling"
	PYTHONPATH=. $(BIN)/python bench/clock_freeze.py
	$(BIN)/python bench/notebook_suite.py
	@echo "## What the stripe_emulator pytest fixture adds per test"
	PYTHONPATH=. $(BIN)/python bench/plugin_overhead.py
	PYTHONPATH=. $(BIN)/python bench/coverage_figures.py

# Delete the Stripe test-mode accounts the tutorial created (tagged connect_lab=1), only those.
clean-stripe: $(STAMP)
	$(BIN)/python -m harness clean-stripe

clean:
	rm -rf build .pytest_cache
