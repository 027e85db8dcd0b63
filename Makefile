# Two commands set up a fresh machine: `make run` (the app on the demo) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
WORKSPACE ?= workspace/demo.gpkg
STAMP := $(VENV)/.requirements-installed
DEV_STAMP := $(VENV)/.requirements-dev-installed
ASSETS := static/vendor/.complete

.PHONY: run test lint setup dev assets demo bench clean po po-merge

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $(STAMP)

# Tests, lint, benchmarks and the data build need the dev pins as well (requirements-dev.txt).
$(DEV_STAMP): requirements-dev.txt $(STAMP)
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $(DEV_STAMP)

$(ASSETS): assets.lock.json scripts/fetch_assets.py
	$(PYTHON) scripts/fetch_assets.py

$(WORKSPACE): | $(STAMP)
	$(BIN)/python -m geo demo --out $(WORKSPACE)

setup: $(STAMP) $(ASSETS)

dev: $(DEV_STAMP) $(ASSETS)

assets: $(ASSETS)

## run: set up, build the demo workspace if missing, start the app at http://localhost:8501
run: setup $(WORKSPACE)
	$(BIN)/python -m streamlit run app.py

## test: set up (app and dev pins) and run the whole suite (unit, AppTest, browser)
test: dev
	$(BIN)/python -m pytest

## lint: ruff (lint + format check) and mypy on geo/
lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy geo

## demo: rebuild the demo workspace from scratch
demo: $(STAMP)
	rm -f $(WORKSPACE)
	$(BIN)/python -m geo demo --out $(WORKSPACE)

## po: re-extract every text of the code (locale/messages.pot), update and compile the Arabic
## catalogue (locale/ar/LC_MESSAGES/messages.po and .mo, both committed); then translate what is new
po: $(STAMP)
	$(BIN)/python -m geo.catalogue update

## po-merge FROM=file.py: add the entries of an old-style ARABIC = {...} dictionary to the .po
po-merge: $(STAMP)
	test -n "$(FROM)" || { echo "usage: make po-merge FROM=path/to/old/i18n.py"; exit 2; }
	$(BIN)/python -m geo.catalogue merge-dict $(FROM)

## bench: run the benchmarks (prints figures; not part of the tests)
bench: dev
	for b in bench/[!_]*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) static/vendor workspace test-artifacts
