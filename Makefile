# Footfall: `make run` starts it with demo data, `make test` runs every test, `make bench` measures.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
PYTEST_ARGS ?=

.PHONY: install run test lint bench chromium wrk clean snippet

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

install: $(INSTALLED)

# The snippet is built from sdk-js/src into the package's static folder.
snippet: collector/static/f.js

collector/static/f.js: sdk-js/src/f.js
	cp sdk-js/src/f.js $@

run: $(INSTALLED) snippet
	$(BIN)/footfall demo --data ./data --host 127.0.0.1 --port 8000

# Browser tests drive Debian's Chromium; install it when missing and we are root.
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Debian's chromium is missing: sudo apt-get install chromium" >&2; exit 1; fi; \
	fi

lint: $(INSTALLED)
	$(BIN)/ruff check collector replay analysis tests bench

test: $(INSTALLED) snippet chromium
	$(BIN)/ruff check collector replay analysis tests bench
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# wrk drives the load (a Python client stands in when it cannot be installed).
wrk:
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || \
	  echo "wrk not installed: the benchmark uses its Python load client" >&2

bench: $(INSTALLED) wrk
	$(BIN)/python -m bench.ingest

clean:
	rm -rf $(VENV) .pytest_cache
