# Footfall: `make run` starts it with demo data, `make test` runs every test, `make bench` measures.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
PYTEST_ARGS ?=
# pytest-xdist workers (`auto`: one per CPU; 0 runs in this process, serially). Whole files go to one
# worker, in collected order, so each worker runs its browser tests after all its others (tests/conftest.py)
# and builds a module's fixtures once.
WORKERS ?= auto
LAYERS := store collector analysis replay web demo

.PHONY: install run test test-js lint bench chromium wrk clean snippet screenshots

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

install: $(INSTALLED)

# The snippet: npm installs sdk-js's pinned build tools (esbuild, terser) and web-vitals, then
# sdk-js/build.mjs bundles src/ into web/static/f.js (committed, so the Python package
# carries it) and sdk-js/dist/. Rebuilt on every run: it takes about a second.
NPM_INSTALLED := sdk-js/node_modules/.installed

$(NPM_INSTALLED): sdk-js/package.json sdk-js/package-lock.json
	cd sdk-js && npm ci --no-audit --no-fund --loglevel=error
	touch $@

snippet: $(NPM_INSTALLED)
	cd sdk-js && node build.mjs

# JavaScript unit tests of the snippet's pure parts (Node's built-in runner).
test-js: $(NPM_INSTALLED)
	cd sdk-js && node --test test/

run: $(INSTALLED) snippet
	$(BIN)/footfall demo --data ./data --host 127.0.0.1 --port 8000

# Browser tests drive Debian's Chromium; install it when missing and we are root.
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Debian's chromium is missing: sudo apt-get install chromium" >&2; exit 1; fi; \
	fi

# docs/img/dashboard-*.png, the pictures docs/dashboard.md shows, made again from a fresh demo.
screenshots: $(INSTALLED) snippet chromium
	$(BIN)/python -m tools.screenshots

lint: $(INSTALLED)
	$(BIN)/ruff check $(LAYERS) tests bench tools

test: $(INSTALLED) snippet chromium test-js
	$(BIN)/ruff check $(LAYERS) tests bench tools
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

# wrk drives the load (a Python client stands in when it cannot be installed).
wrk:
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || \
	  echo "wrk not installed: the benchmark uses its Python load client" >&2

# bench.snippet loads the demo shop in Chromium with and without the built snippet; bench.replay
# records demo-shop visits, opens a 30-minute recording in the player and lists 100,000 sessions;
# bench.heatmap draws click maps over 10 million stored clicks; bench.funnel walks a 5-step funnel and
# bench.stats answers the stats API's 30-day overview and bench.anomalies searches a week for anomalies,
# each over 10 million stored rows.
bench: $(INSTALLED) wrk snippet chromium
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.snippet
	$(BIN)/python -m bench.replay
	$(BIN)/python -m bench.heatmap
	$(BIN)/python -m bench.funnel
	$(BIN)/python -m bench.stats
	$(BIN)/python -m bench.anomalies

clean:
	rm -rf $(VENV) .pytest_cache sdk-js/node_modules sdk-js/dist
