# Muqeem: `make demo` to run the portal, `make test` to run the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install messages demo run test test-fast test-browser lint typecheck check audit-deps bench bench-quick bench-tools reliability reliability-quick clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

messages: install
	$(BIN)/pybabel compile --statistics -d locale -D django

demo: install messages
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo_data
	@HOST=$(HOST) PORT=$(PORT) BIN=$(BIN) scripts/run-demo

test: install messages
	scripts/ensure-chromium
	$(BIN)/python -m pytest -p no:cacheprovider -n 2 --dist loadfile $(PYTEST_ARGS)

test-fast: install messages
	$(BIN)/python -m pytest -p no:cacheprovider -m "not browser" $(PYTEST_ARGS)

test-browser: install messages
	scripts/ensure-chromium
	$(BIN)/python -m pytest -p no:cacheprovider -m browser $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy muqeem config

check: lint typecheck
	$(BIN)/python manage.py makemigrations --check --dry-run

# Known vulnerabilities (PyPI's advisory data) in what production installs: the runtime dependencies
# of pyproject.toml, followed transitively, at the versions installed here; test and lint tools are
# left out. Fails on any known vulnerability, and also when a package cannot be looked up (--strict):
# an unreachable advisory service is a failure, never a pass.
audit-deps: install
	$(BIN)/python scripts/runtime-requirements > $(VENV)/runtime-requirements.txt
	$(BIN)/pip-audit --strict --no-deps --disable-pip --progress-spinner off \
		--requirement $(VENV)/runtime-requirements.txt

# Benchmark (docs/benchmarks.md): its own database (BENCH_DATABASE_URL, default muqeem_bench on the
# local server), gunicorn, the task worker and wrk; about 15 minutes. bench-quick: a small registry.
bench-tools:
	@command -v wrk >/dev/null || apt-get install -y wrk || (apt-get update && apt-get install -y wrk)

bench: install messages bench-tools
	$(BIN)/python bench/run.py $(BENCH_ARGS)

bench-quick: install messages bench-tools
	$(BIN)/python bench/run.py --quick $(BENCH_ARGS)

# Reliability (docs/reliability.md): its own database (RELIABILITY_DATABASE_URL, default
# muqeem_reliability on the local server), gunicorn, the worker, an SMS gateway and a webhook receiver.
reliability: install messages
	$(BIN)/python reliability/run.py $(RELIABILITY_ARGS)

reliability-quick: install messages
	$(BIN)/python reliability/run.py --quick $(RELIABILITY_ARGS)

clean:
	rm -rf $(VENV) var/*.sqlite3* var/static

# Backup and restore drill (docs/reliability.md): pg_dump a scratch PostgreSQL database with demo data
# (or --source NAME via DRILL_ARGS), restore it into a fresh one and prove the copy. DATABASE_URL
# names the server (default the local one).
.PHONY: backup-drill
backup-drill: install
	scripts/backup-drill $(DRILL_ARGS)
