# hmip-analytics: `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LOCK := requirements.lock
# Use the project's kernel (installed into the venv) ahead of any other `hmip` kernelspec.
export JUPYTER_PATH := $(CURDIR)/$(VENV)/share/jupyter
export MPLBACKEND := Agg
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install lock report test test-fast lab bench lint format data clean kernel screenshots

help: ## Show this list of targets
	@awk 'BEGIN {FS = ":.*## "; printf "Usage: make TARGET\n\n"} /^[a-zA-Z_-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name hmip --display-name "Python (hmip)" >/dev/null
	@touch $(STAMP)

install: $(STAMP) ## Create .venv, install the locked dependencies (requirements.lock), hmip and the `hmip` kernel (quick when nothing changed)
	@$(BIN)/python -m hmip.build.kernel check

lock: ## Refresh requirements.lock from pyproject.toml (pip-compile with hashes; UPGRADE=1 takes the newest versions)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(BIN)/pip-compile || $(BIN)/python -m pip install --quiet pip-tools
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe \
	  --extra dev --strip-extras --no-emit-index-url --no-emit-trusted-host --no-emit-find-links \
	  --no-emit-options $(if $(UPGRADE),--upgrade) --output-file $(LOCK) pyproject.toml

report: install ## Build every report in reports.toml into reports/ (the main job)
	$(BIN)/hmip reports build --jobs $(JOBS)

test: install ## Run the whole test suite: unit, property, notebooks (nbval) and end-to-end
	$(BIN)/python -m pytest -p tests.nbval_ipc --nbval-lax --nbval-kernel-name hmip tests notebooks $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: treating as a failure"; exit 1; fi; exit $$rc

test-fast: install ## Run the unit and property tests only (skips notebooks, reports and the browser)
	$(BIN)/python -m pytest -m "not notebooks and not e2e and not browser" $(PYTEST_ARGS)

screenshots: install ## Render the latest reports (and the pack) to PNG and PDF in reports/screenshots/ (headless Chromium, pdftoppm)
	@test -e reports/latest || $(MAKE) report
	$(BIN)/python -m hmip.build.browser reports/latest reports/screenshots

lab: install ## Start JupyterLab on notebooks/ with the hmip kernel
	$(BIN)/jupyter lab --notebook-dir=notebooks

bench: install ## Run the performance harness; writes benchmarks/results/latest.json
	$(BIN)/python benchmarks/run.py

lint: install ## Ruff (lint and format check), plus a check that notebooks are committed without outputs
	$(BIN)/ruff check hmip tests benchmarks
	$(BIN)/ruff format --check hmip tests benchmarks
	$(BIN)/python -m hmip.build.kernel check-notebooks notebooks

format: install ## Apply ruff's fixes and formatter, and strip notebook outputs
	$(BIN)/ruff check --fix hmip tests benchmarks
	$(BIN)/ruff format hmip tests benchmarks
	$(BIN)/nbstripout --keep-id notebooks/*.ipynb

data: install ## Regenerate the simulated case sample in data/ (seeded: byte-identical)
	$(BIN)/hmip simulate --out data

clean: ## Remove the venv, caches and generated reports (keeps reports/README.md)
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info hmip/__pycache__ tests/__pycache__
	find reports -mindepth 1 ! -name README.md -exec rm -rf {} + 2>/dev/null || true
