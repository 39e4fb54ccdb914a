# Two commands do all set-up on a fresh machine:
#   make demo   create .venv, install, write the sample shop, run the pipeline over it, serve the UI
#   make test   create .venv, install (with test extras), run the test suite
#   make lint   ruff (lint + format check) and the import-layer contracts (what CI checks first)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

export MLFLOW_DISABLE_TELEMETRY := true
export DAGSTER_DISABLE_TELEMETRY := true
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install demo serve test lint bench clean-data lock wheel-test

# Versions come from requirements.lock (every package pinned, with hashes, test extras included).
# torch is left out of the lock: the CPU build is installed first with pip (not uv).
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/inventory-pipeline demo --serve

serve: $(STAMP)
	$(BIN)/inventory-pipeline serve

test: $(STAMP)
	$(BIN)/python -m pytest

# Style (ruff check), formatting (ruff format --check; `ruff format .` fixes it) and the layer
# contracts of pyproject.toml's [tool.importlinter] (no library module imports dagster or defs/,
# model/ and features/ independent, no import cycles). Runs all three, fails if any fails.
lint: $(STAMP)
	@status=0; \
	$(BIN)/ruff check . || status=1; \
	$(BIN)/ruff format --check . || status=1; \
	$(BIN)/lint-imports || status=1; \
	exit $$status

bench: $(STAMP)
	$(BIN)/python benchmarks/ingest.py

clean-data:
	rm -rf data

# Regenerates requirements.lock from pyproject.toml (after changing a dependency); existing pins
# are kept unless pyproject.toml asks for other versions (--upgrade moves them all).
lock:
	$(PYTHON) -m venv $(VENV)-tools
	$(VENV)-tools/bin/python -m pip install --quiet pip-tools==7.7.0
	CUSTOM_COMPILE_COMMAND="make lock" $(VENV)-tools/bin/pip-compile --quiet --generate-hashes \
	    --extra test --strip-extras --unsafe-package torch --no-emit-index-url --no-emit-find-links \
	    --output-file requirements.lock pyproject.toml

# Builds the wheel and runs a tiny shop with it installed in a fresh venv (what CI does).
wheel-test:
	PYTHON=$(PYTHON) .ci/wheel_test
