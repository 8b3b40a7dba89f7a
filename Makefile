# hmip-analytics: `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LOCK := requirements.lock
# uv installs the locked packages (same hashes, many times faster than pip): the one on PATH, else one
# installed into the venv from UV_LOCK (pinned, hashed). USE_UV=0, or any failure of uv, uses pip.
USE_UV ?= 1
UV_LOCK := requirements-uv.lock
# Apache Airflow (the `airflow` extra) lives in its own venv: `make airflow-env`, used by its test.
AIRFLOW_VENV := .venv-airflow
AIRFLOW_LOCK := requirements-airflow.lock
AIRFLOW_STAMP := $(AIRFLOW_VENV)/.installed-stamp
# Use the project's kernel (installed into the venv) ahead of any other `hmip` kernelspec.
export JUPYTER_PATH := $(CURDIR)/$(VENV)/share/jupyter
export MPLBACKEND := Agg
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install lock lock-airflow airflow-env report test test-fast lab bench lint format data clean kernel screenshots

# $(call make-venv,VENV): create VENV with $(PYTHON) unless it exists.
define make-venv
test -x $(1)/bin/python || { echo "==> Creating the virtual environment $(1) ($$($(PYTHON) --version))"; \
  $(PYTHON) -m venv $(1); }
endef

# $(call find-uv,VENV): sets the shell variable uv to a usable uv (PATH, VENV, or installed into VENV
# from $(UV_LOCK); pip says errors only), or leaves it empty (USE_UV=0, or uv could not be installed).
define find-uv
uv=; if [ "$(USE_UV)" != 0 ]; then \
  uv=$$(command -v uv || true); \
  if [ -z "$$uv" ] && [ ! -x $(1)/bin/uv ]; then \
    echo "==> Installing uv into $(1) (pinned and hashed in $(UV_LOCK))"; \
    $(1)/bin/python -m pip install -qq --disable-pip-version-check --require-hashes --no-deps \
      -r $(UV_LOCK) || echo "    could not install uv: using pip"; \
  fi; \
  if [ -z "$$uv" ] && [ -x $(1)/bin/uv ]; then uv=$(CURDIR)/$(1)/bin/uv; fi; \
fi
endef

# $(call install-lock,VENV,LOCK): install every package of the hashed LOCK into VENV (uv, else pip).
define install-lock
$(call find-uv,$(1)); start=$$SECONDS; ok=; \
n=$$(grep -cE '^[A-Za-z0-9][A-Za-z0-9._-]*==' $(2)); \
if [ -n "$$uv" ]; then \
  echo "==> Installing $$n locked packages from $(2) with uv"; \
  "$$uv" pip install --quiet --require-hashes --python $(1)/bin/python -r $(2) && ok=1 \
    || echo "    uv failed: installing with pip instead"; \
fi; \
if [ -z "$$ok" ]; then \
  echo "==> Installing $$n locked packages from $(2) with pip (a few minutes)"; \
  $(1)/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r $(2) || exit 1; \
fi; \
echo "    done in $$((SECONDS - start)) s"
endef

# $(call install-hmip,VENV): install this project into VENV, editable, without dependencies.
# setuptools announces every editable install as a warning ("Editable installation ... folders with
# the same name as your package may take precedence"): known and harmless here, so it is filtered.
define install-hmip
$(call find-uv,$(1)); echo "==> Installing hmip (editable: the code in hmip/ is what runs)"; \
if [ -z "$$uv" ] || ! "$$uv" pip install --quiet --no-deps --python $(1)/bin/python -e . 2>/dev/null; then \
  PYTHONWARNINGS="ignore:Editable installation" \
    $(1)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e . || exit 1; \
fi
endef

help: ## Show this list of targets
	@awk 'BEGIN {FS = ":.*## "; printf "Usage: make TARGET\n\n"} /^[a-zA-Z_-]+:.*## / {printf "  %-13s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml $(LOCK) $(UV_LOCK)
	@echo "==> Setting up $(VENV) (once; later runs skip this)"
	@$(call make-venv,$(VENV))
	@$(call install-lock,$(VENV),$(LOCK))
	@$(call install-hmip,$(VENV))
	@echo "==> Registering the Jupyter kernel 'hmip' (runs $(BIN)/python)"
	@$(BIN)/python -m ipykernel install --sys-prefix --name hmip --display-name "Python (hmip)" >/dev/null
	@touch $(STAMP)
	@echo "==> $(VENV) is ready"

install: $(STAMP) ## Create .venv, install the locked dependencies (requirements.lock; uv, else pip), hmip and the `hmip` kernel (quick when nothing changed)
	@$(BIN)/python -m hmip.build.kernel check

lock: ## Refresh requirements.lock from pyproject.toml (pip-compile with hashes; UPGRADE=1 takes the newest versions)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(BIN)/pip-compile || $(BIN)/python -m pip install --quiet pip-tools
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe \
	  --extra dev --strip-extras --no-emit-index-url --no-emit-trusted-host --no-emit-find-links \
	  --no-emit-options $(if $(UPGRADE),--upgrade) --output-file $(LOCK) pyproject.toml

lock-airflow: ## Refresh requirements-airflow.lock (Python 3.11, with hashes) from pyproject's `airflow` extra, and requirements-uv.lock
	@$(call make-venv,$(VENV))
	@$(call find-uv,$(VENV)); test -n "$$uv" || { echo "lock-airflow needs uv (USE_UV=1)"; exit 1; }; \
	req=$$($(PYTHON) -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["airflow"]))'); \
	echo "$$req" | "$$uv" pip compile --quiet --generate-hashes --universal --python-version 3.11 \
	  --custom-compile-command "make lock-airflow" $(if $(UPGRADE),--upgrade) - -o $(AIRFLOW_LOCK); \
	"$$uv" --version | sed 's/^uv \([^ ]*\).*/uv==\1/' | "$$uv" pip compile --quiet --generate-hashes --universal \
	  --python-version 3.11 --custom-compile-command "make lock-airflow" - -o $(UV_LOCK)

$(AIRFLOW_STAMP): $(AIRFLOW_LOCK) $(UV_LOCK) pyproject.toml
	@echo "==> Setting up $(AIRFLOW_VENV): Apache Airflow, for the DAG in hmip/build/airflow.py and its test"
	@$(call make-venv,$(AIRFLOW_VENV))
	@$(call install-lock,$(AIRFLOW_VENV),$(AIRFLOW_LOCK))
	@$(call install-hmip,$(AIRFLOW_VENV))
	@touch $(AIRFLOW_STAMP)

airflow-env: $(AIRFLOW_STAMP) ## Create .venv-airflow: Apache Airflow from requirements-airflow.lock, plus hmip (for the DAG's test; `make test` does this)

report: install ## Build every report in reports.toml into reports/ (the main job)
	$(BIN)/hmip reports build --jobs $(JOBS)

test: install airflow-env ## Run the whole test suite: unit, property, notebooks (nbval), end-to-end and the Airflow DAG
	$(BIN)/python -m pytest -p tests.nbval_ipc --nbval-lax --nbval-kernel-name hmip tests notebooks $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: treating as a failure"; exit 1; fi; exit $$rc

test-fast: install ## Run the unit and property tests only (skips notebooks, reports and the browser)
	$(BIN)/python -m pytest -m "not notebooks and not e2e and not browser" $(PYTEST_ARGS)

screenshots: install ## Render the latest reports (and the pack) to PNG and PDF in reports/screenshots/ (headless Chromium, pdftoppm)
	@test -e reports/latest || $(MAKE) report
	$(BIN)/python -m hmip.build.browser reports/latest reports/screenshots

lab: install ## Start JupyterLab on notebooks/ with the hmip kernel
	$(BIN)/jupyter lab --notebook-dir=notebooks $$([ "$$(id -u)" = 0 ] && echo --allow-root)

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

data: install ## Regenerate the simulated case sample and audit series in data/ (seeded: byte-identical)
	$(BIN)/hmip simulate --out data
	$(BIN)/python -c "from hmip.data.simulate_audits import write_audit_series; print('wrote', write_audit_series('data'))"

clean: ## Remove the venvs, caches and generated reports (keeps reports/README.md)
	rm -rf $(VENV) $(AIRFLOW_VENV) .pytest_cache .ruff_cache build *.egg-info hmip/__pycache__ tests/__pycache__
	find reports -mindepth 1 ! -name README.md -exec rm -rf {} + 2>/dev/null || true
