# The two commands of the README: `make lab` and `make test`. Each sets up .venv itself.
VENV    := .venv
PYTHON  := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
SYSTEM  := python3

.PHONY: lab test test-fast bench clean

$(STAMP): pyproject.toml
	$(SYSTEM) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[jupyter,dev]'
	touch $@

# Debian packages (.ci/system-deps): graphviz's `dot` for the pictures, and for the tests also
# chromium, which the browser tests drive.
lab: $(STAMP)
	@bash .ci/system-deps lab
	$(VENV)/bin/jupyter lab --notebook-dir=tutorials $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

test: $(STAMP)
	@bash .ci/system-deps test
	$(PYTHON) -m pytest -n 2 --dist loadgroup tests

test-fast: $(STAMP)
	$(PYTHON) -m pytest -n 2 -m "not browser and not notebook" tests

bench: $(STAMP)
	$(PYTHON) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
