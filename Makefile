# Every target bootstraps .venv itself, so a fresh clone needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test index bench soak catalogs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

index: $(STAMP)
	$(BIN)/vnsearch index || [ $$? -eq 1 ]

run: index
	$(BIN)/vnsearch serve --watch

test: $(TEST_STAMP)
	$(BIN)/python -m pytest

bench: $(TEST_STAMP)
	$(BIN)/python bench/run_all.py

soak: $(TEST_STAMP)
	$(BIN)/python bench/soak.py --kills 25
	$(BIN)/python bench/soak.py --load
	$(BIN)/python bench/soak.py --slow-clients 50 --slow-seconds 60

# Message catalogs: extract every _(), ngettext() and N_() message of the source, merge them
# into each language's .po (new ones untranslated, changed ones marked fuzzy: translate
# them, then run this again) and compile the .mo files vnsearch reads.
LOCALES := indexer/locale
POT := $(LOCALES)/vnsearch.pot

catalogs: $(TEST_STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg --add-location=file --project=vnsearch -o $(POT) .
	$(BIN)/pybabel -q update -i $(POT) -d $(LOCALES) -D vnsearch --ignore-obsolete --ignore-pot-creation-date
	$(BIN)/pybabel compile --statistics -d $(LOCALES) -D vnsearch
	rm $(POT)

clean:
	rm -rf $(VENV) index/current index/gen-* index/.current.* index/.reindex.lock \
		index/last-run.json index/.last-run.json.* index/.watch.lock
