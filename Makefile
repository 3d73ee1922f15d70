# The two commands of the README: `make lab` and `make test`. Each sets up .venv itself.
VENV    := .venv
PYTHON  := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
SYSTEM  := python3

.PHONY: lab test test-fast bench system-deps clean

$(STAMP): pyproject.toml
	$(SYSTEM) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[jupyter,dev]'
	touch $@

# Debian packages: graphviz's `dot` for the pictures, chromium for the browser tests.
system-deps:
	@bash .ci/system-deps

lab: $(STAMP) system-deps
	$(VENV)/bin/jupyter lab --notebook-dir=tutorials $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

test: $(STAMP) system-deps
	$(PYTHON) -m pytest -n 2 --dist loadgroup tests

test-fast: $(STAMP)
	$(PYTHON) -m pytest -n 2 -m "not browser and not notebook" tests

bench: $(STAMP)
	$(PYTHON) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
