# Two commands on a fresh machine: `make demo` and `make test`. Everything else is set up here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
# The ONNX embedding model, exported from the packaged weights once per install; the tests use it.
MODELS := $(VENV)/deskmate-models
export PIP_NO_INPUT := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: demo test lint format typecheck audit bench quality install clean browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch is pinned and installed first: an unpinned torch would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[torch,dev,bench,tone-local]'
	$(BIN)/deskmate prepare-model --model-dir $(MODELS)
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

demo: $(STAMP)
	DESKMATE_MODEL_DIR=$${DESKMATE_MODEL_DIR:-$(abspath $(MODELS))} $(BIN)/deskmate demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Rewrites files: sorts imports, applies ruff's safe fixes and formats.
format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP)
	$(BIN)/mypy bot indexer adapters training evaluation

# The admin console's browser tests drive the system's Chromium (Playwright never downloads a
# browser here); installed from the Debian packages when missing, without questions (as root,
# or with passwordless sudo). Without it the browser tests fail, saying so: none is skipped.
BROWSER_PACKAGES := chromium fonts-noto-color-emoji
browser:
	@dpkg -s $(BROWSER_PACKAGES) >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo -n"; fi; \
		echo "installing $(BROWSER_PACKAGES) for the browser tests"; \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(BROWSER_PACKAGES); \
	}

test: $(STAMP) browser lint typecheck
	$(BIN)/pytest

# Known vulnerabilities in the installed dependencies (the project itself is not published).
# It needs the package index's advisory service; when that cannot be reached it fails and
# says so, rather than passing without having checked anything.
audit: $(STAMP)
	@$(BIN)/pip-audit --local --skip-editable --strict --progress-spinner off 2> $(VENV)/audit.log; \
	status=$$?; \
	if [ $$status -ne 0 ] && grep -qiE "connection|resolve|timed? ?out|network|unreachable|could not be audited" $(VENV)/audit.log; then \
		echo "make audit: the advisory service could not be reached or has no data for a package," >&2; \
		echo "so nothing was checked (see $(VENV)/audit.log);" >&2; \
		echo "run make audit on a machine that can reach the package index." >&2; \
		exit 2; \
	fi; \
	cat $(VENV)/audit.log >&2; \
	exit $$status

# About 30 minutes on 2 cores; figures and what they mean: docs/benchmarks.md.
bench: $(STAMP)
	mkdir -p benchmarks/results
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/query.py
	$(BIN)/python benchmarks/retrieval.py
	$(BIN)/python benchmarks/bulk_write.py
	$(BIN)/python benchmarks/chunk_size.py
	$(BIN)/python benchmarks/embed_throughput.py
	$(BIN)/python benchmarks/embed_backends.py --no-index-18f
	$(BIN)/python benchmarks/cli_latency.py
	$(BIN)/python benchmarks/dependency_size.py
	$(BIN)/python benchmarks/vs_langchain.py
	$(BIN)/python benchmarks/vs_langchain.py --synthetic 100000
	$(BIN)/python benchmarks/scale.py --json benchmarks/results/scale.json
	$(BIN)/python benchmarks/plot_latency.py docs/benchmarks-latency.png benchmarks/results/scale.json
	$(BIN)/python benchmarks/common_words.py
	$(BIN)/python benchmarks/slack_ack.py --n 100
	$(BIN)/python benchmarks/tone_local_train.py --threads 1
	$(BIN)/python benchmarks/load.py --n 200 --concurrency 20
	$(BIN)/python benchmarks/xml_export.py

# Answer quality on the real handbooks in ../shared/corpus (docs/quality.md). The first run
# embeds them (tens of minutes on a busy machine); the knowledge bases are kept in
# benchmarks/results/quality/ and every later run takes minutes.
quality: $(STAMP)
	$(BIN)/python benchmarks/quality.py --modes hybrid,vector,keyword --split dev
	$(BIN)/python benchmarks/quality.py --modes hybrid,vector,keyword --split heldout
	$(BIN)/python benchmarks/fusion_sweep.py --sets 18f,dxw,basecamp,hyperledger,contoso --split dev

clean:
	rm -rf $(VENV) .deskmate .pytest_cache
