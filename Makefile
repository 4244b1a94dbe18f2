# Two entry points for a fresh clone: `make test` and `make demo`. Both (re)build .venv
# from requirements.txt first, only when requirements.txt or pyproject.toml changed, and
# install the package into it in editable mode (`import resizer` then works from any folder).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed

.PHONY: install test test-all demo bench clean

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

# The default suite: everything but tests marked `slow` or `benchmark` (see pytest.ini), under
# 10 minutes on 2 cores (686 tests, 472 s); `make test-all` adds the slow end-to-end tests (about 23 minutes).
test: $(STAMP)
	$(PY) -m pytest

test-all: $(STAMP)
	$(PY) -m pytest -m "not benchmark"

demo: $(STAMP)
	$(PY) scripts/demo.py

clean:
	rm -rf $(VENV) .pytest_cache build resizer.egg-info
