# Two set-up-free commands for a fresh machine: `make demo` and `make test`.
# Each creates .venv and installs the project on first use (or when pyproject.toml changes).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ASSETS := $(VENV)/.map-assets
BROWSER := $(VENV)/.chromium

.PHONY: demo test lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,train]'
	touch $(STAMP)

# The map's scripts and styles, from the npm registry, so maps work with no internet.
$(ASSETS): $(STAMP)
	$(BIN)/dronewatch assets && touch $(ASSETS) \
	  || echo "map assets not fetched (no registry?): maps will load their scripts online"

# Debian's Chromium, for the test that opens the maps in a real browser.
$(BROWSER):
	command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && { apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq \
	  && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; }; } \
	  || echo "Chromium not installed (needs root and apt): the browser test will skip"
	mkdir -p $(VENV) && touch $(BROWSER)

# The demo's map and store go to $(DEMO_OUT) (out/ unless told: make demo DEMO_OUT=DIR).
DEMO_OUT ?= out

demo: $(ASSETS)
	$(BIN)/dronewatch demo --out-dir $(DEMO_OUT)

# Two pytest workers, a file each at a time, for all but the flights of tests/ops: those
# fly against the simulator's clock and one at a time, since a second worker's load made
# them miss their moments (a link cut after the flight had ended, a lock let go early).
test: $(ASSETS) $(BROWSER)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 --dist loadfile --ignore=tests/ops
	$(BIN)/python -m pytest tests/ops

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
