# invoiceflow: every command a newcomer needs. `make setup` once, then `make run` / `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
export INVOICEFLOW_STATE_DIR ?= $(HOME)/.cache/invoiceflow/state
export INVOICEFLOW_KAFKA_CACHE ?= $(HOME)/.cache/invoiceflow/kafka

.PHONY: setup system-deps venv kafka-jars azurite stack stack-down run demo test lint check unit integration bench chaos eval eval-hard clean

setup: system-deps venv kafka-jars azurite  ## idempotent: system packages, .venv, Kafka jars, Azurite

system-deps:
	@bash infra/install-system-deps.sh

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(BIN)/pip install -q -U pip
	@$(BIN)/pip install -q -e '.[dev]'
	@touch $@

kafka-jars:
	@bash infra/kafka-jars.sh

azurite:  ## the Azure Storage emulator (npm, pinned) into ~/.cache/invoiceflow/azurite
	@bash infra/azurite.sh

stack:  ## start Kafka, Redis, PostgreSQL and Azurite unless they already answer
	@bash infra/stack.sh up

stack-down:  ## stop only what `make stack` started
	@bash infra/stack.sh down

run: stack  ## score generated samples, print each result, then keep the pipeline and the dashboard up until Ctrl-C
	@$(BIN)/invoiceflow demo --count 24 --formats ubl,cii,hybrid_pdf,text_pdf,scan,scan_pdf --serve

demo: stack  ## the same, finite: exits once every sample is scored (for scripts)
	@$(BIN)/invoiceflow demo --count 24 --formats ubl,cii,hybrid_pdf,text_pdf,scan,scan_pdf

lint:
	@$(BIN)/ruff check .
	@$(BIN)/mypy
	@bash infra/check-module-size.sh

check: lint

unit:
	@$(BIN)/pytest -q -m 'not integration'

integration: stack
	@$(BIN)/pytest -q -m integration

test: stack lint  ## the whole suite against the real local stack
	@$(BIN)/pytest -q

bench: stack
	@$(BIN)/invoiceflow bench e2e --workers 2

chaos:  ## the full chaos suite on its own stack (~15 min): every scenario, 0 lost / 0 doubled / 0 mismatch
	@$(BIN)/invoiceflow chaos

eval:
	@$(BIN)/invoiceflow eval ../shared/corpus ../shared/corpus-pending/fatturapa-dev

# the text reader on the hard text-PDF layouts, seed 2 (the reader was tuned on seed 1): per field, held-out apart
eval-hard:
	@d=$$(mktemp -d) && trap 'rm -rf "$$d"' EXIT && \
	$(BIN)/invoiceflow samples "$$d" --count 560 --formats text_pdf_hard --seed 2 >/dev/null && \
	$(BIN)/invoiceflow eval "$$d"

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
