# The two commands of the README: `make run` starts slideforge, `make test` runs every test.
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint typecheck fuzz bench clean

$(VENV)/.installed: pyproject.toml scripts/bootstrap.sh
	scripts/bootstrap.sh

run: $(VENV)/.installed
	$(BIN)/slideforge serve --sandbox

# Runs the whole suite on SQLite, then the database tests again on PostgreSQL when
# SLIDEFORGE_TEST_POSTGRES_URL is set (CI sets it).
test: $(VENV)/.installed
	scripts/test.sh

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(VENV)/.installed
	$(BIN)/mypy

# A longer schemathesis hunt than the suite's (EXAMPLES per operation, default 300).
fuzz: $(VENV)/.installed
	SLIDEFORGE_FUZZ_EXAMPLES=$${EXAMPLES:-300} $(BIN)/pytest -n 2 --dist loadgroup tests/test_schemathesis.py

bench: $(VENV)/.installed
	$(BIN)/slideforge bench all

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
