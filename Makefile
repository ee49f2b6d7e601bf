# The two commands of the README:
#   make demo   - a local site plus a local OpenID Provider, admin OIDC login in a browser
#   make test   - the whole test suite, on SQLite and then on PostgreSQL
#                 (DB=sqlite or DB=postgres for one database only)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DB ?= all
PYTEST_ARGS ?=

.PHONY: demo test install lint docs messages tox

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# reinstall when the dependencies change
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[tests,setup-configuration,docs]"
	touch $@

tests/op/node_modules/.package-lock.json: tests/op/package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 20 and npm (apt-get install nodejs npm)"; exit 1; }
	cd tests/op && npm ci --no-audit --no-fund --loglevel=error

install: $(VENV)/.installed tests/op/node_modules/.package-lock.json

# The migration oracle builds its databases on PostgreSQL whatever DB says: it runs
# once, in the PostgreSQL pass.
test: install
ifeq ($(DB),all)
	DB=sqlite $(BIN)/python -m pytest -m "not oracle" $(PYTEST_ARGS)
	DB=postgres $(BIN)/python -m pytest $(PYTEST_ARGS)
else
	DB=$(DB) $(BIN)/python -m pytest $(PYTEST_ARGS)
endif

demo: install
	$(BIN)/python -m demo $(DEMO_ARGS)

lint: install
	$(BIN)/ruff check mozilla_django_oidc_db tests testapp demo benchmarks
	$(BIN)/ruff format --check mozilla_django_oidc_db tests testapp demo benchmarks

docs: install
	$(BIN)/sphinx-build -W -b html docs docs/_build/html

messages: install
	cd mozilla_django_oidc_db && ../$(BIN)/django-admin compilemessages

tox:
	$(BIN)/python -m pip install -q tox && $(BIN)/tox
