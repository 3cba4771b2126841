# Two commands on a fresh machine: `make demo` and `make test`. Everything else is set up here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
export PIP_NO_INPUT := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: demo test lint typecheck bench install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch is pinned and installed first: an unpinned torch would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev,bench,tone-local]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/deskmate demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy bot indexer adapters

test: $(STAMP) lint typecheck
	$(BIN)/pytest

# About 30 minutes on 2 cores; figures and what they mean: docs/benchmarks.md.
bench: $(STAMP)
	mkdir -p benchmarks/results
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/query.py
	$(BIN)/python benchmarks/retrieval.py
	$(BIN)/python benchmarks/bulk_write.py
	$(BIN)/python benchmarks/chunk_size.py
	$(BIN)/python benchmarks/embed_throughput.py
	$(BIN)/python benchmarks/vs_langchain.py
	$(BIN)/python benchmarks/vs_langchain.py --synthetic 100000
	$(BIN)/python benchmarks/scale.py --json benchmarks/results/scale.json
	$(BIN)/python benchmarks/plot_latency.py docs/benchmarks-latency.png benchmarks/results/scale.json
	$(BIN)/python benchmarks/common_words.py
	$(BIN)/python benchmarks/slack_ack.py --n 100
	$(BIN)/python benchmarks/tone_local_train.py --threads 1
	$(BIN)/python benchmarks/xml_export.py

clean:
	rm -rf $(VENV) .deskmate .pytest_cache
