# The two commands of README.md: `make run` and `make test`. Both set up .venv first.
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $(STAMP)

.PHONY: run test lint bench
run: $(STAMP)
	$(VENV)/bin/coso serve

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(VENV)/bin/python benchmarks/faq.py
	$(VENV)/bin/python benchmarks/faq_baselines.py
	$(VENV)/bin/python benchmarks/ingest.py
