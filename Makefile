# Two commands on a fresh machine with only Python and pip:
#   make demo   - set up and run the demo on the bundled example plan
#   make test   - set up (including LibreOffice, via apt when missing) and run every test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup system-deps demo test bench workbook clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

system-deps:
	sh scripts/install-system-deps.sh

demo: setup
	$(BIN)/planbook demo --out demo-output

test: setup system-deps
	$(BIN)/python -m pytest -q

workbook: setup
	$(BIN)/python -m planbook.coordinator

bench: setup
	$(BIN)/python benchmarks/consolidate.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache build src/*.egg-info
