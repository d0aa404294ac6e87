# Set-up is part of every target: a fresh clone needs nothing but Python >= 3.11.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv certify test lint bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml firmware-under-test/pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ./firmware-under-test -e '.[dev]'
	# labgrid's fork of pyserial owns the `serial` module; pymeasure pulls plain pyserial,
	# which installs the same files. Reinstall the fork last so its RFC2217 fixes win.
	$(BIN)/pip install --quiet --force-reinstall --no-deps pyserial-labgrid
	touch $(STAMP)

## The main job: the IEC 61851-1 certification plan against the built-in emulated bench.
certify: venv
	$(BIN)/pytest testplans/iec61851 $(ARGS)

## The framework's own test suite.
test: venv
	$(BIN)/pytest tests firmware-under-test/tests $(ARGS)

lint: venv
	$(BIN)/ruff check .

bench: venv
	$(BIN)/python bench/plan_speed.py

clean:
	rm -rf $(VENV) reports/latest reports/allure-results
