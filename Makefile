# Two commands matter: `make demo` and `make test`. Everything else is what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SIZE ?= small
SEED ?= 1

.PHONY: demo test serve lint bench messages clean

demo: $(VENV)/.installed static messages
	$(BIN)/jingsai migrate --noinput
	$(BIN)/jingsai demo-data --size $(SIZE) --seed $(SEED) --keep-existing
	$(BIN)/jingsai serve-demo

serve: $(VENV)/.installed static messages
	$(BIN)/jingsai serve-demo

test: $(VENV)/.installed-test static messages
	@scripts/ensure-system-packages test
	$(BIN)/ruff check --quiet .
	@# on an in-memory database: the test database may not exist yet, and the check needs none
	DATABASE_URL=sqlite://:memory: $(BIN)/jingsai makemigrations --check --dry-run >/dev/null || \
		(echo "Models and migrations disagree: run '$(BIN)/jingsai makemigrations'." && exit 1)
	$(BIN)/pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

$(BIN)/python:
	@scripts/ensure-system-packages base
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test,bench]'
	@touch $(VENV)/.installed $@

static: src/jingsai/static/vendor/.stamp

src/jingsai/static/vendor/.stamp: package.json package-lock.json scripts/vendor-static
	@scripts/ensure-system-packages base
	npm ci --no-audit --no-fund --loglevel=error
	scripts/vendor-static
	@touch $@

messages: $(VENV)/.installed
	@$(BIN)/python -m jingsai.core.i18n

bench: $(VENV)/.installed-test static messages
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) node_modules src/jingsai/static/vendor var
