# The two commands of the README: `make demo` runs the app, `make test` runs the tests.
# Both build .venv from requirements*.txt with Python 3.11 on first use. `make test` also
# checks the layers (tests/test_layers.py), sizes (ruff C901, PLR0915) and types (mypy).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?= -n auto

.PHONY: demo api test lint format

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.deps-run: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.deps-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.deps-run

# The app on :8501 and the public service (booking widget, /docs) on :8502 beside it; Ctrl-C
# stops both.
demo: $(VENV)/.deps-run
	$(BIN)/python -m data.demo --ensure
	$(BIN)/python -m uvicorn api.app:app --host 127.0.0.1 --port 8502 & api=$$!; \
	trap 'kill $$api 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python -m streamlit run Home.py --server.port 8501

# The public service alone (demo mode without configuration).
api: $(VENV)/.deps-run
	$(BIN)/python -m uvicorn api.app:app --host 127.0.0.1 --port 8502

test: $(VENV)/.deps-dev
	$(BIN)/python -m ruff check .
	$(BIN)/python -m ruff format --check .
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.deps-dev
	$(BIN)/python -m ruff check .
	$(BIN)/python -m ruff format --check .
	$(BIN)/python -m mypy

format: $(VENV)/.deps-dev
	$(BIN)/python -m ruff format .
	$(BIN)/python -m ruff check --fix .
