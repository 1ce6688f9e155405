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

.PHONY: setup serve train test lint typecheck pytest bench clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip

$(VENV)/.service: $(VENV)/bin/activate pyproject.toml constraints.txt
	$(PIP) -e '.[service]' && touch $@

$(VENV)/.all: $(VENV)/bin/activate pyproject.toml constraints.txt
	$(PIP) -e '.[service,training,dev]' && touch $@ $(VENV)/.service

setup: $(VENV)/.all  ## create .venv with everything (service, training, dev)

serve: $(VENV)/.service  ## run the service on the committed default model
	$(PY) -m service --host $(HOST) --port $(PORT)

train: $(VENV)/.all  ## retrain the default model and export it as a new version
	$(PY) training/train.py

lint: $(VENV)/.all  ## ruff check + ruff format --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.all  ## mypy
	$(VENV)/bin/mypy training service tests

pytest: $(VENV)/.all
	$(PY) -m pytest

test: lint typecheck pytest  ## lint, types and the test suite

bench: $(VENV)/.all  ## the load-testing benchmark (prints a table, writes bench/results/)
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
