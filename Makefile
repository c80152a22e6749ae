# Two commands on a fresh machine: `make run` and `make test`. Each creates .venv when missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
REPLICAS ?= 2

.PHONY: run serve test test-fast bench chromium nginx clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.app-installed: requirements.txt | $(PY)
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.test-installed: requirements-test.txt $(VENV)/.app-installed
	$(PY) -m pip install -q -r requirements-test.txt
	touch $@

run: $(VENV)/.app-installed
	@echo "Loading the numerical kernels (compiled once: about a minute on a new machine)..."
	@$(PY) -c "import optimizers; optimizers.warm_up()"
	$(PY) -m app_pages.server run app.py --server.port $(PORT)

# A course: REPLICAS identical servers behind nginx on PORT (session affinity, websockets). It
# compiles the kernels first and starts nginx only when every replica is healthy.
serve: $(VENV)/.app-installed nginx
	$(PY) deploy/serve.py --replicas $(REPLICAS) --port $(PORT)

# Debian's nginx (the light build) for `make serve` and its test.
nginx:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
	  export DEBIAN_FRONTEND=noninteractive; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq nginx-light; \
	  else sudo -n apt-get update -qq && sudo -n -E apt-get install -y -qq nginx-light; fi; }

# Chromium for the browser tests, from Debian's packages (never `playwright install`).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  export DEBIAN_FRONTEND=noninteractive; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else sudo -n apt-get update -qq && sudo -n -E apt-get install -y -qq chromium; fi; }

test: $(VENV)/.test-installed chromium nginx
	$(PY) -m pytest

# Everything but the real browser: a quick loop while editing.
test-fast: $(VENV)/.test-installed
	$(PY) -m pytest -m "not browser"

bench: $(VENV)/.test-installed chromium
	$(PY) bench/bench_core.py
	$(PY) bench/bench_pages.py

clean:
	rm -rf .numba_cache .pytest_cache
