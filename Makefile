# Set-up is part of every target: a fresh clone needs nothing but Python >= 3.11.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv certify test lint bench clean report allure-html nightly eol

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

## The production end-of-line station against the emulated bench: type a serial (ZCS + 6
## digits) and Enter per unit, `quit` to end (docs/eol.md).
eol: venv
	$(BIN)/rig eol --keyboard --emulate-units --printer file:reports/eol/labels.zpl $(ARGS)

## The framework's own test suite, in parallel processes (pytest-xdist, one per CPU; one test
## file is one unit of work: tests/conftest.py). TEST_WORKERS=0 runs it in this one process.
TEST_WORKERS ?= auto
test: venv
	$(BIN)/pytest tests firmware-under-test/tests -n $(TEST_WORKERS) --dist loadfile \
		--no-loadscope-reorder $(ARGS)

## Allure report: the plan with --alluredir, then reports/allure-report/index.html, ONE
## self-contained file (Allure 3 from npm, pinned in tools/allure: no Java; offline once
## installed). The report is built also when the plan fails; make then exits with its status.
ALLURE_TOOL := tools/allure
ALLURE_STAMP := $(ALLURE_TOOL)/node_modules/.installed
ALLURE_RESULTS ?= reports/allure-results
ALLURE_REPORT ?= reports/allure-report

$(ALLURE_STAMP): $(ALLURE_TOOL)/package.json $(ALLURE_TOOL)/package-lock.json
	cd $(ALLURE_TOOL) && npm ci --no-audit --no-fund --loglevel=error
	touch $(ALLURE_STAMP)

report: venv $(ALLURE_STAMP)
	status=0; $(BIN)/pytest testplans/iec61851 --alluredir $(ALLURE_RESULTS) --clean-alluredir \
		$(ARGS) || status=$$?; \
	node $(ALLURE_TOOL)/build.mjs $(ALLURE_RESULTS) $(ALLURE_REPORT) && exit $$status

## Only the HTML file, from results already there
## (e.g. make certify ARGS=--alluredir=reports/allure-results).
allure-html: $(ALLURE_STAMP)
	node $(ALLURE_TOOL)/build.mjs $(ALLURE_RESULTS) $(ALLURE_REPORT)

## Nightly: one charger build of firmware-under-test/builds/ (BUILD=name) through the whole
## plan; verdicts, records and the single-file compliance report in reports/nightly/<build>/.
## The plan's own status is not the job's (a defective build must FAIL): `rig build check`
## fails unless the build FAILed exactly its expected requirements, with no ERROR.
BUILD ?= compliant
NIGHTLY_DIR = reports/nightly/$(BUILD)
nightly: venv
	rm -rf $(NIGHTLY_DIR) && mkdir -p $(NIGHTLY_DIR)
	args=$$($(BIN)/rig build args $(BUILD)) || exit 2; eval "set -- $$args"; \
	$(BIN)/pytest testplans/iec61851 -q -p no:cacheprovider --reports-dir $(NIGHTLY_DIR) \
		--records sqlite:///$(NIGHTLY_DIR)/records.sqlite "$$@" $(ARGS); \
	$(BIN)/rig report latest --records sqlite:///$(NIGHTLY_DIR)/records.sqlite \
		--out $(NIGHTLY_DIR)/report.html --trend-runs 0 || exit 2; \
	$(BIN)/rig build check $(BUILD) $(NIGHTLY_DIR)/verdicts.json

lint: venv
	$(BIN)/ruff check .

bench: venv
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf $(VENV) reports/latest reports/allure-results reports/allure-report
