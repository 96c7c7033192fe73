# The two commands a fresh machine needs: `make demo` and `make test`.
# Each creates .venv when missing and (re)installs the project when pyproject.toml changes.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.previz-installed
DEMO_SCENE ?= scenes/night_delivery.yaml
DEMO_OUT ?= out/night_delivery

.PHONY: install demo test lint typecheck unit bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10) and "previz needs Python 3.10 or newer" or 0)'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/previz build $(DEMO_SCENE) --out $(DEMO_OUT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python bench/compile.py
	$(BIN)/python bench/animatic.py
	$(BIN)/python bench/sequence.py
	$(BIN)/python bench/runner.py
	$(BIN)/python bench/export.py
	$(BIN)/python bench/edit.py
	$(BIN)/python bench/review.py
	$(BIN)/python bench/cache_remote.py

clean:
	rm -rf out .previz .pytest_cache .mypy_cache .ruff_cache
