# fupin — see README.md. `make run` and `make test` are all a newcomer needs.
SHELL := /bin/bash
VENV  := .venv
BIN   := $(VENV)/bin
STAMP := $(VENV)/.installed
export FUPIN_DATA_DIR ?= $(CURDIR)/var
PG_URL ?= postgres://postgres:postgres@127.0.0.1:5432/fupin
PYTEST_ARGS ?= -n auto

.PHONY: run setup test test-pg lint messages lock bench clean

$(STAMP): pyproject.toml requirements.lock scripts/find-python.sh
	@py=$$(scripts/find-python.sh) || exit 1; \
	if [ ! -x $(BIN)/python ] || ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
	  rm -rf $(VENV); echo "Creating $(VENV) with $$py"; "$$py" -m venv $(VENV) || exit 1; fi
	@$(BIN)/python -m pip install -q --upgrade pip uv
	@$(BIN)/uv pip install -q -p $(BIN)/python -r requirements.lock || $(BIN)/pip install -q -r requirements.lock
	@$(BIN)/uv pip install -q -p $(BIN)/python --no-deps -e . || $(BIN)/pip install -q --no-deps -e .
	@touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/fupin migrate --no-input -v 0
	$(BIN)/fupin demo --if-empty
	$(BIN)/fupin collectstatic --no-input -v 0
	$(BIN)/fupin serve 127.0.0.1:8000

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

test-pg: $(STAMP)
	FUPIN_DATABASE_URL=$(PG_URL) $(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

# Extract new strings into the Chinese catalogue, then compile it.
messages: $(STAMP)
	cd src/fupin && ../../$(BIN)/fupin makemessages -l zh_Hans --no-obsolete --no-location -i 'static/*'
	cd src/fupin && ../../$(BIN)/fupin compilemessages -l zh_Hans

# Re-resolve requirements.lock from pyproject.toml.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.12 -o requirements.lock

bench: $(STAMP)
	FUPIN_DATABASE_URL=$(PG_URL) $(BIN)/python bench/registry_import.py

clean:
	rm -rf $(VENV) .pytest_cache
