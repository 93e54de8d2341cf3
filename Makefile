# Two commands on a fresh machine: `make demo` and `make test`. Each builds .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PACKAGES := core warehouse gpu_tasks flows assets_pipeline api cli

.PHONY: demo test lint format dev bench browser clean

$(STAMP): pyproject.toml constraints.txt
	@echo "==> preparing $(VENV) (pip, pinned by constraints.txt)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	@$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/makeit3d demo

dev: $(STAMP)
	$(BIN)/makeit3d dev

lint: $(STAMP)
	$(BIN)/ruff check $(PACKAGES) tests bench
	$(BIN)/ruff format --check $(PACKAGES) tests bench
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix $(PACKAGES) tests bench
	$(BIN)/ruff format $(PACKAGES) tests bench

# The dashboard's browser test drives Debian's chromium (no browser download at run time).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "==> installing chromium (Debian package) for the dashboard browser test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: lint browser
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/mesh.py
	$(BIN)/python bench/generate.py
	$(BIN)/python bench/flows.py
	$(BIN)/python bench/warehouse.py
	$(BIN)/python bench/api.py

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache
