# One entry point for common tasks. Each target creates or reuses .venv and
# installs what it needs (pinned by constraints.txt).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt
HOST ?= 127.0.0.1
PORT ?= 8000

# Busy-waiting OpenMP threads cost 10x on shared cores.
export OMP_WAIT_POLICY ?= PASSIVE
# Tests and CI read MNIST from the shared copy when there is one, never downloading.
ifneq ($(wildcard ../shared/data/mnist/t10k-labels-idx1-ubyte.gz),)
export MNIST_DIR ?= $(abspath ../shared/data/mnist)
endif

# Debian packages the tests drive for real (nginx for the scale-out fault test, wrk for the benchmark
# smoke test, hey for the soak, h2load from nghttp2-client for the overload part, chromium for the
# browser tests). Installed when missing and we are root; otherwise those tests skip with a message.
SYSTEM_PACKAGES ?= nginx wrk hey nghttp2-client chromium

.PHONY: setup sysdeps serve train test lint typecheck pytest audit compose-smoke bench clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip

$(VENV)/.service: $(VENV)/bin/activate pyproject.toml constraints.txt
	$(PIP) -e '.[service]' && touch $@

$(VENV)/.all: $(VENV)/bin/activate pyproject.toml constraints.txt
	$(PIP) -e '.[service,training,dev]' && touch $@ $(VENV)/.service

setup: $(VENV)/.all  ## create .venv with everything (service, training, dev)

sysdeps:  ## install the Debian packages the tests use, if missing (needs root)
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing $$missing"; \
		(apt-get install -y -qq --no-install-recommends $$missing || \
		 (apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing)) >/dev/null; \
	else echo "not installing $$missing (needs root and apt-get): tests that use them will skip"; fi

serve: $(VENV)/.service  ## run the service on the committed default model
	$(PY) -m service --host $(HOST) --port $(PORT)

train: $(VENV)/.all  ## retrain the default model and export it as a new version
	$(PY) training/train.py

lint: $(VENV)/.all  ## ruff check + ruff format --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.all  ## mypy
	$(VENV)/bin/mypy training service tests eval bench scripts

pytest: $(VENV)/.all sysdeps
	$(PY) -m pytest

# Fails on a known vulnerability in a pinned version; only warns when the vulnerability service is unreachable.
audit: $(VENV)/.all  ## pip-audit the pins in constraints.txt
	$(PY) scripts/audit.py --requirements constraints.txt

compose-smoke:  ## build the image and run docker compose up for real (via ../shared/tools/compose-smoke)
	bash scripts/compose-smoke.sh

test: lint typecheck pytest audit compose-smoke  ## lint, types, the test suite, pip-audit and the container smoke test

bench: $(VENV)/.all  ## the load-testing benchmark (prints a table, writes bench/results/)
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
