# Hài Lòng: `make demo` runs the demo, `make test` runs the whole suite. Both set everything up first.
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: system install demo test translations translations-update bench clean

system:
	./scripts/install-system.sh

$(VENV)/.installed: setup.cfg pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

translations: $(VENV)/.installed
	$(VENV)/bin/pybabel compile -d translations --statistics

install: system $(VENV)/.installed translations

# The demo keeps its database and secret key in the checkout's instance/ (installed, the default is per user).
demo: export HAILONG_INSTANCE_PATH ?= $(CURDIR)/instance
demo: install
	$(VENV)/bin/hailong init --demo
	@echo "Open http://$(HOST):$(PORT)/s/mc-1 (citizen form) and http://$(HOST):$(PORT)/office/ (office)"
	$(VENV)/bin/hailong serve --host $(HOST) --port $(PORT)

tests/e2e/node_modules/.installed: tests/e2e/package.json tests/e2e/package-lock.json
	npm ci --prefix tests/e2e --no-audit --no-fund --silent
	touch $@

test: install tests/e2e/node_modules/.installed
	./scripts/test.sh

bench: install
	$(PY) -m bench.indices

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache

# Re-extract user-facing texts and merge them into the English catalogue (then translate the new entries).
translations-update: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --omit-header -o translations/messages.pot .
	$(VENV)/bin/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching
