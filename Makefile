# Two commands on a fresh machine with only Python and pip:
#   make demo   - set up and run the demo on the bundled example plan
#   make test   - set up (including LibreOffice, Gnumeric and Node.js, via apt when missing) and run every test
# (make docs regenerates docs/reference/ from the code: see docs/README.md)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# SheetJS, one of the independent readers the tests open our files with (package.json, locked)
NODE_STAMP := node_modules/.installed-stamp

.PHONY: setup system-deps demo test bench workbook docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "make setup: npm not found - install Node.js and npm (make system-deps does)" >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

setup: $(STAMP) $(NODE_STAMP)

system-deps:
	sh scripts/install-system-deps.sh

demo: $(STAMP)
	$(BIN)/planbook demo --out demo-output

test: system-deps setup
	$(BIN)/python -m pytest -q

workbook: setup
	$(BIN)/python -m planbook.coordinator

docs: $(STAMP)
	$(BIN)/python scripts/make_reference.py

bench: setup
	$(BIN)/python benchmarks/consolidate.py

clean:
	rm -rf $(VENV) node_modules demo-output .pytest_cache build src/*.egg-info
